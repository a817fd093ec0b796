"""macOS: the Info.plist URL types the packaging spec embeds, and status/register through Launch Services."""

from __future__ import annotations

import plistlib
import sys

import pytest

from desktop_app import APP_ID
from desktop_app.platform import RegistrationError
from desktop_app.platform.macos import MacLinkHandler, plist_url_types


def test_plist_url_types_declare_tel_callto_and_opdial() -> None:
    types = plist_url_types()
    assert [t["CFBundleURLSchemes"] for t in types] == [["tel"], ["callto"], ["opdial"]]
    assert all(t["CFBundleTypeRole"] == "Viewer" for t in types)
    assert [t["CFBundleURLName"] for t in types] == [f"{APP_ID}.tel", f"{APP_ID}.callto", f"{APP_ID}.opdial"]


def test_plist_url_types_serialise_into_an_info_plist() -> None:
    data = plistlib.loads(plistlib.dumps({"CFBundleURLTypes": plist_url_types()}))
    assert data["CFBundleURLTypes"][0]["CFBundleURLSchemes"] == ["tel"]


class FakeLaunchServices:
    """Stands in for Launch Services, which exists only on macOS (the real one runs there)."""

    def __init__(self, handlers: dict[str, str | None], refuse: set[str] = frozenset()) -> None:
        self.handlers = handlers
        self.refuse = refuse

    def default_handler(self, scheme: str) -> str | None:
        return self.handlers.get(scheme)

    def set_default_handler(self, scheme: str, bundle_id: str) -> int:
        if scheme in self.refuse:
            return -54
        self.handlers[scheme] = bundle_id
        return 0


def test_status_compares_the_default_handler_with_our_bundle_id() -> None:
    handler = MacLinkHandler(FakeLaunchServices({"tel": "com.apple.FaceTime", "callto": APP_ID.upper()}))
    by_scheme = {s.scheme: s for s in handler.status()}
    assert (by_scheme["tel"].handled_by_us, by_scheme["tel"].current_handler) == (False, "com.apple.FaceTime")
    assert by_scheme["callto"].handled_by_us
    assert by_scheme["opdial"].current_handler is None


def test_register_sets_us_as_default_and_reports_refusals() -> None:
    services = FakeLaunchServices({"tel": "com.apple.FaceTime"}, refuse={"callto"})
    result = MacLinkHandler(services).register(["/Applications/OpDial.app/Contents/MacOS/opdial"])
    assert services.handlers["tel"] == APP_ID
    assert any("callto: macOS refused" in note for note in result.notes)


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS Launch Services is really asked")
def test_elsewhere_status_is_unknown_and_register_refuses() -> None:
    handler = MacLinkHandler()
    assert all(not s.known and "macOS" in s.detail for s in handler.status())
    with pytest.raises(RegistrationError):
        handler.register(["opdial"])


@pytest.mark.skipif(sys.platform != "darwin", reason="Launch Services exists only on macOS")
def test_real_launch_services_answers() -> None:
    statuses = MacLinkHandler().status()
    assert all(s.known for s in statuses)
