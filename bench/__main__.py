"""Run the benchmark: ``python -m bench [--sizes 100,1000] [--json FILE]``."""

from bench.run import main

main()
