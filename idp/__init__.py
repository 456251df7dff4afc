"""The protocol faces (OpenID Connect, SAML 2.0) — built on account/ in later issues."""
