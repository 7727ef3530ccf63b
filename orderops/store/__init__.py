"""The database: tables, engine, schema migrations, transactions.

Everything that knows whether it talks to SQLite or PostgreSQL lives here.
"""
