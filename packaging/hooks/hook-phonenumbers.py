"""phonenumbers for OpDial: overrides the contributed hook, which bundles every submodule.

phonenumbers loads each region's metadata with ``__import__`` at run time, so the metadata
packages are listed here. Its geocoder and carrier data (about 40 MB of modules) are left out:
OpDial's country names come from ``desktop_app.numbers_countries``. ``opdial --self-check``
parses a British number in the frozen app to prove the metadata is there.
"""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = [
    *collect_submodules("phonenumbers.data"),
    *collect_submodules("phonenumbers.shortdata"),
    "phonenumbers.timezone",  # ParsedNumber.time_zones, imported lazily
    *collect_submodules("phonenumbers.tzdata"),
]
excludedimports = [
    "phonenumbers.geodata",
    "phonenumbers.geocoder",
    "phonenumbers.carrierdata",
    "phonenumbers.carrier",
]
