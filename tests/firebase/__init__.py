"""Firebase tests on the Auth emulator (a package, so its conftest never shadows ours)."""
