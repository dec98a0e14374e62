"""Use cases: one function per user action, plain data in and out. No Qt."""
