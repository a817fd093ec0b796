"""Every problem in the catalogue is shown with its title, explanation, action and details.

Each one is produced for real: sandbox demo numbers, sandbox faults, a wrong URL, a closed port,
a timeout, TLS against a plain-HTTP server, and a cancelled retry.
"""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest

from desktop_app.api.catalogue import PROBLEMS
from desktop_app.api.client import ObdClient, Timeouts
from desktop_app.api.models import CallKind
from desktop_app.sandbox.server import DEMO_TRIGGERS
from tests.ui.conftest import CUSTOMER, place

FAILING_TRIGGERS = [t for t in DEMO_TRIGGERS if t.problem != "accepted"]
# The codes the dedicated tests below produce (beside the demo numbers).
PRODUCED_BELOW = {"bad_request", "not_found", "network", "tls", "timeout", "cancelled"}


def assert_problem_shown(window, code: str) -> None:
    """The panel shows the catalogue's words (as refined for the exact variant) and the details."""
    text = window.status_panel.current.outcome.problem
    assert text.code == code
    panel = window.status_panel
    assert panel.headline.text() == text.title
    assert text.explanation in panel.body.text()
    assert f"What to do: {text.action}" in panel.body.text()
    assert f"code {code}" in panel.ids.text()
    assert panel.copy_details_button.isEnabled() and panel.details_toggle.isEnabled()
    assert "Request (secrets masked)" in panel.details.toPlainText()


@pytest.mark.parametrize("trigger", FAILING_TRIGGERS, ids=lambda t: t.number)
def test_demo_numbers_show_their_problem(qtbot, window, trigger):
    window.form.customer.edit.setText(trigger.number)

    outcome = place(qtbot, window)

    assert outcome.problem.code == trigger.problem
    assert_problem_shown(window, trigger.problem)


def test_raw_answer_is_in_the_details(qtbot, window):
    window.form.customer.edit.setText("+919000000403")  # 403 Invalid API Key
    place(qtbot, window)
    window.status_panel.details_toggle.click()

    assert window.status_panel.details.isVisible()
    assert "Invalid API Key" in window.status_panel.details.toPlainText()


def test_unknown_agent_user_id_is_a_bad_request(qtbot, window):
    window.form.agent_user_id.setText("ffffffffffffffff")
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    assert_problem_shown(window, "bad_request")


def test_wrong_api_path_is_not_found(qtbot, make_window, sandbox, store, sandbox_profile):
    store.save(replace(sandbox_profile, api_url=sandbox.url + "-wrong"))
    window = make_window()
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    assert_problem_shown(window, "not_found")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nobody_listening_is_a_network_problem(qtbot, make_window, store, sandbox_profile):
    store.save(replace(sandbox_profile, api_url=f"http://127.0.0.1:{_closed_port()}/obd-api-v1"))
    window = make_window(client_factory=lambda r: ObdClient(r.account, max_attempts=1))
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    assert_problem_shown(window, "network")


def test_https_to_a_plain_http_server_is_a_tls_problem(qtbot, make_window, sandbox, store, sandbox_profile):
    store.save(replace(sandbox_profile, api_url=sandbox.url.replace("http://", "https://")))
    window = make_window(client_factory=lambda r: ObdClient(r.account, max_attempts=1))
    window.form.customer.edit.setText(CUSTOMER)
    place(qtbot, window)
    assert_problem_shown(window, "tls")


def test_slow_answer_is_a_timeout_with_unknown_outcome(qtbot, make_window, sandbox, sandbox_profile):
    sandbox.faults.latency_s = 1.0
    window = make_window(
        client_factory=lambda r: ObdClient(r.account, max_attempts=1, timeouts=Timeouts(connect=1, read=0.2))
    )
    window.form.customer.edit.setText(CUSTOMER)
    outcome = place(qtbot, window)
    assert outcome.status == "failed"
    assert_problem_shown(window, "timeout")
    assert "outcome is unknown" in window.status_panel.body.text()


def test_cancel_during_a_retry_wait_shows_cancelled(qtbot, make_window, sandbox, sandbox_profile):
    sandbox.faults.server_error = 1  # first answer 500, then the client waits before retrying
    window = make_window(client_factory=lambda r: ObdClient(r.account, max_attempts=3, backoff_s=30))
    window.form.set_kind(CallKind.IVR)
    window.form.customer.edit.setText(CUSTOMER)
    with qtbot.waitSignal(window.call_finished, timeout=30_000) as blocker:
        window.form.call_button.click()
        qtbot.waitUntil(lambda: len(sandbox.received) == 1)
        assert window.form.cancel_button.isVisible()
        window.cancel_call()
    assert blocker.args[0].problem.code == "cancelled"
    assert_problem_shown(window, "cancelled")
    assert len(sandbox.received) == 1  # no retry went out


def test_these_tests_cover_the_whole_catalogue():
    covered = {t.problem for t in FAILING_TRIGGERS} | PRODUCED_BELOW
    assert covered == set(PROBLEMS), f"not produced by any test: {set(PROBLEMS) - covered}"
