"""`python -m benchmarks.peers`: see the package's docstring."""

import sys

from benchmarks.peers.harness import main

sys.exit(main())
