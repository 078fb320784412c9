"""The command line: `python -m server`, its commands, and the generators of documents."""
