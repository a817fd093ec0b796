"""OpDial: place outgoing calls through MyOperator's Outgoing (OBD) API.

This module is the one source of the app's name, id and version: the CLI, the window,
the PyInstaller spec, the Windows installer and the macOS Info.plist all read them here.
"""

APP_NAME = "OpDial"
APP_ID = "co.opdial.OpDial"  # reverse-DNS id: macOS bundle id, keyring service prefix, socket name
APP_ORG = "OpDial"
APP_DESCRIPTION = "Desktop dialer for MyOperator's Outgoing (OBD) API"
__version__ = "0.1.0"
