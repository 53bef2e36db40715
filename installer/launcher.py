"""Entry point for frozen builds: the same as the `kinfolk` console script."""
import sys

from kinfolk.cli.main import main

sys.exit(main())
