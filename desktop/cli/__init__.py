"""Command-line subcommands that work without a window (`tenantry profile ...`)."""
