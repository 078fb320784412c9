"""Authentication and authorization primitives: scopes, password hashing, tokens, principals.

Nothing here touches the database or HTTP routing; `services/` and `routes/deps.py` build on
these pieces.
"""
