"""Tenantry: a desktop admin client for the product's multi-tenant PostgreSQL database."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tenantry")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
