"""Keys and certificates: the only code that touches private keys (see issue 3)."""
