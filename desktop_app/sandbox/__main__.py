"""``python -m desktop_app.sandbox``: the same server as ``opdial-cli sandbox``."""

import sys

from desktop_app.sandbox.server import main

sys.exit(main())
