"""Run the CLI as ``python -m ghostsync``."""

from ghostsync.cli import main

main()
