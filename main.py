"""Run Tenantry from a source checkout: `python main.py --demo`."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
