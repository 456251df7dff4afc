"""Independent relying-party apps; they speak only HTTP to the hub (never import it)."""
