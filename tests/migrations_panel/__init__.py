"""Tests of the migrations panel and its services (a package: its conftest keeps its name)."""
