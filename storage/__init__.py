"""Persistence: the engine, the models, the repositories and the Alembic migrations."""
