"""ETL layer: `python -m etl …` command-line entry point."""

import sys

from etl.cli import main

sys.exit(main())
