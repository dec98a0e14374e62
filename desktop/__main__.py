"""`python -m desktop` runs Tenantry."""

import sys

from desktop.app import main

sys.exit(main())
