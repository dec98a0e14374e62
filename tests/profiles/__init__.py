"""Tests of connection profiles, secrets, the connect service, the CLI and the dialog."""
