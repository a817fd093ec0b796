"""The Campaigns tab appears when ``ui/campaigns_view.py`` exists; it asks the window for the profile."""

from __future__ import annotations

import sys
import types

import pytest
from PySide6.QtWidgets import QLabel

from desktop_app.credentials import ConfigError


class StandInCampaignsView(QLabel):
    """Stands in for the real view (built by another engineer) so the hook is tested on its own."""

    def __init__(self, resolve_profile, parent=None) -> None:
        super().__init__("campaigns", parent)
        self.resolve_profile = resolve_profile
        self.setAccessibleName("Campaigns")
        self.setToolTip("Campaigns")


@pytest.fixture
def stand_in_module(monkeypatch):
    module = types.ModuleType("desktop_app.ui.campaigns_view")
    module.CampaignsView = StandInCampaignsView  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "desktop_app.ui.campaigns_view", module)


def test_campaigns_tab_gets_the_resolved_profile(make_window, sandbox_profile, stand_in_module, sandbox):
    window = make_window()

    assert window.tabs.tabText(2) == "&Campaigns"
    resolved = window.campaigns_view.resolve_profile()
    assert resolved.profile.name == sandbox_profile.name and resolved.account == sandbox.account


def test_resolve_profile_explains_when_there_is_none(make_window, stand_in_module):
    window = make_window()
    with pytest.raises(ConfigError):
        window.campaigns_view.resolve_profile()
