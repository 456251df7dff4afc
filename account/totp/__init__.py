"""The second factor: a code from an authenticator app (RFC 6238 TOTP), see docs/TOTP.md.

``codes`` is the arithmetic (secrets, codes, recovery codes, the QR code), ``credential`` the
stored credential (sealed secret, replay-safe acceptance, recovery codes), ``check`` a
submitted code with throttling and audit, ``enrolment`` switching it on and off.
"""
