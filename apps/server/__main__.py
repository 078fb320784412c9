"""`python -m server COMMAND`: see `server/cli/main.py` for the commands."""

import sys

from server.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
