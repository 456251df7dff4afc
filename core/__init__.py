"""The ground floor: settings, database, key-value store, web basics and audit events.

Nothing in ``core`` imports any other package of the hub (enforced by import-linter).
"""
