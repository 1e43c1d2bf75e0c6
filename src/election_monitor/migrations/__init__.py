"""Alembic migrations shipped inside the package (``elmon db upgrade`` applies them)."""
