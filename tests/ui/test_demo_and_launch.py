"""Demo mode, the first-run screen, and launching with credentials from the environment."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from PySide6.QtCore import Qt

from desktop_app import config
from desktop_app.sandbox.server import environment
from desktop_app.ui.app import parse_args
from desktop_app.ui.demo import DEMO_PROFILE_NAME
from desktop_app.ui.main_window import PROFILE_PROBLEM_ABOVE
from tests.ui.conftest import CUSTOMER, DEMO_USER_ID, place


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=0.5):
            return True
    except OSError:
        return False


def test_demo_flag_is_parsed():
    assert parse_args(["--demo"]).demo
    assert parse_args(["tel:+919876543210"]).link == "tel:+919876543210"


def test_demo_starts_a_loopback_sandbox_and_stops_it(qtbot, make_window, store, keyring_backend):
    window = make_window(demo=True)
    url = window.resolved.account.api_url

    assert urlsplit(url).hostname == "127.0.0.1" and _port_open(url)
    assert window.profile_combo.currentText() == DEMO_PROFILE_NAME
    assert window.sandbox_banner.isVisible() and "SANDBOX — no real calls" in window.sandbox_label.text()
    assert window.badge.text().strip() == "SANDBOX"
    assert window.try_button.isVisible() and window.try_menu.actions()

    window.form.customer.edit.setText("98765 43210")
    assert place(qtbot, window).accepted

    window.close()
    assert not window.demo_session.running and not _port_open(url)
    settings = config.settings_path()
    assert store.names() == []
    assert not settings.exists() or DEMO_PROFILE_NAME not in settings.read_text()
    assert keyring_backend.items == {}  # demo credentials never touch the keyring


def test_try_these_fills_a_number_that_provokes_an_error(qtbot, make_window):
    window = make_window(demo=True)
    window.try_menu.actions()[1].trigger()  # +919000000403: 403 Invalid API Key

    assert window.form.customer.parsed.e164 == "+919000000403"
    assert place(qtbot, window).problem.code == "auth_failed"


def test_first_run_screen_without_profiles_or_environment(qtbot, make_window):
    window = make_window()
    assert window.pages.currentWidget() is window.first_run
    assert not window.form.call_button.isEnabled()

    qtbot.mouseClick(window.first_run.demo_button, Qt.MouseButton.LeftButton)

    assert window.pages.currentWidget() is window.main_page
    assert window.demo_session.running and window.form.agent_user_id.text() == DEMO_USER_ID


def test_environment_credentials_skip_first_run_and_enter_places_one_user_dial(qtbot, make_window, sandbox):
    env = environment(sandbox)  # the sandbox's OPDIAL_* variables, the demo agent's user id included
    assert env["OPDIAL_USER_ID"] == DEMO_USER_ID
    window = make_window(env=env)

    assert window.pages.currentWidget() is window.main_page
    qtbot.waitUntil(window.form.customer.edit.hasFocus)
    with qtbot.waitSignal(window.call_finished, timeout=30_000):
        qtbot.keyClicks(window.form.customer.edit, "9876543210")
        qtbot.keyClick(window.form.customer.edit, Qt.Key.Key_Return)

    [call] = sandbox.accepted_calls
    assert (call["type"], call["number"], call["user_id"]) == ("1", CUSTOMER, DEMO_USER_ID)


def test_environment_overrides_apply_on_top_of_a_profile(make_window, sandbox, sandbox_profile):
    window = make_window(env={"OPDIAL_USER_ID": "0123456789abcdef"})
    assert window.form.agent_user_id.text() == "0123456789abcdef"


def test_profile_missing_secrets_says_how_to_fix_it(make_window, store):
    from desktop_app.credentials import Profile

    store.save(Profile(name="Half done", company_id="c1", public_ivr_id="ivr1", user_id=DEMO_USER_ID))
    window = make_window()

    assert window.profile_problem.isVisible()
    assert "Half done" in window.profile_problem.text() and "Profiles" in window.profile_problem.text()
    window.form.customer.edit.setText(CUSTOMER)
    assert not window.form.call_button.isEnabled()
    # Said once, at the top: beneath Call only a pointer to it (the long reason was clipped there).
    assert window.form.field_error.text() == PROFILE_PROBLEM_ABOVE
    assert "Half done" not in window.form.field_error.text()


def test_demo_names_the_agent_whose_phone_rings_first(qtbot, make_window):
    window = make_window(demo=True)
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    assert window.status_panel.headline.text() == (
        "Queued — Asha's phone rings first, then the customer's"
    )


def test_demo_calls_and_campaigns_stay_out_of_the_real_history_and_campaigns(
    qtbot, make_window, history, sandbox_profile, tmp_path
):
    """Calls and campaigns made in the demo live in the demo's own folder, removed when it stops."""
    from desktop_app.campaigns import journal as jr
    from tests.ui.conftest import history_settled

    window = make_window()  # a real profile first, with a real call in the real history
    window.form.customer.edit.setText(CUSTOMER)
    real_call = place(qtbot, window)
    window.start_demo()
    qtbot.waitUntil(lambda: not window.resolving)
    assert window.resolved.profile.name == DEMO_PROFILE_NAME
    window.form.customer.edit.setText("+919876500001")
    demo_call = place(qtbot, window)
    assert demo_call.accepted

    view = window.campaigns_view
    view.paste.setPlainText("+919876500002\n+919876500003\n")
    view.paste_button.click()
    qtbot.waitUntil(lambda: view.checked is not None, timeout=10_000)
    with qtbot.waitSignal(view.campaign_opened, timeout=10_000):
        view.create_campaign(False)
    assert jr.list_ids() == []  # not in the real campaigns folder
    assert jr.list_ids(window.active_campaigns_dir()) == [view.current_id]

    assert [e.reference_id for e in history.entries()] == [real_call.reference_id]
    window.tabs.setCurrentWidget(window.history_view)
    history_settled(qtbot, window.history_view)
    assert [e.reference_id for e in window.history_view.model.entries] == [demo_call.reference_id]
    export = tmp_path / "real.csv"
    history.export_csv(export)
    assert demo_call.reference_id not in export.read_text()

    folder = window.demo_session.folder
    window.close()
    assert folder is not None and not folder.exists()  # nothing of the demo is left behind
