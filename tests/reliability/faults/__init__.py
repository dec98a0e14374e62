"""Fault injection: each failure against the real component, ending in a clear message."""
