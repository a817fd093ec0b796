"""``python -m desktop_app`` and the ``opdial`` gui-script: the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from desktop_app.ui.app import run_gui

    return run_gui(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
