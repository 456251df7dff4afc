"""A standalone double of an eID-Server (TR-03130 eID-Interface) and of the eID-Client
(AusweisApp, TR-03124-1) with the test identities of PROTOCOL.md. Development and tests only:
the hub talks to it through configuration exactly as to a real eID-Server."""
