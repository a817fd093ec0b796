"""The tray's preference keys (in the settings file, through ``ProfileStore.get_pref``).

Apart from ``ui/tray`` so the launcher can ask "start in the tray?" before the first paint
without loading the tray, the clipboard and phone-number parsing.
"""

PREF_CLOSE_TO_TRAY = "close_to_tray"  # default on
PREF_CLOSE_EXPLAINED = "close_to_tray_explained"
PREF_START_IN_TRAY = "start_in_tray"


def may_start_hidden(options, store) -> bool:
    """``--tray`` or the saved preference: asked before the window is shown, so the tray can be made
    first (whether there is a tray to come back from is the launcher's ``starts_hidden``)."""
    asked = bool(getattr(options, "tray", False))
    return asked or bool(store and store.get_pref(PREF_START_IN_TRAY, False))
