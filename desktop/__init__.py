"""Tenantry: a desktop admin client for the product's multi-tenant PostgreSQL database."""

# The one place the version is written (pyproject.toml reads it). A literal, not package
# metadata: importlib.metadata costs tens of milliseconds of start-up.
__version__ = "0.1.0"
