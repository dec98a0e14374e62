"""Alembic script directory for the product schema (installed as desktop.migrations)."""
