"""``python -m vvp`` is the ``vvp`` command."""

import sys

from vvp._cli import main

sys.exit(main())
