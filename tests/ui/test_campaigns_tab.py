"""The Campaigns tab: built the first time it is opened, and it asks the window for the profile."""

from __future__ import annotations

import pytest

from desktop_app.credentials import ConfigError


def test_the_campaigns_view_is_built_only_when_its_tab_is_opened(make_window, sandbox_profile):
    window = make_window()
    assert window.tabs.tabText(2) == "&Campaigns"
    assert window._campaigns_view is None  # start-up does not pay for it

    window.tabs.setCurrentIndex(2)

    assert window._campaigns_view is not None
    assert window._campaigns_view.parent() is window.campaigns_page


def test_campaigns_tab_gets_the_resolved_profile(make_window, sandbox_profile, sandbox):
    window = make_window()
    resolved = window.campaigns_view.resolve_profile()
    assert resolved.profile.name == sandbox_profile.name and resolved.account == sandbox.account


def test_resolve_profile_explains_when_there_is_none(make_window):
    window = make_window()
    with pytest.raises(ConfigError):
        window.campaigns_view.resolve_profile()
