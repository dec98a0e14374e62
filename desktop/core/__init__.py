"""Qt-free foundations: paths, errors, messages, profiles and secrets."""
