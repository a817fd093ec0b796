"""Pick an agent by name: a User ID field that completes from the company's users (``GET /user``).

Typing part of a name, an extension or a number lists the matching users; choosing one puts its
16-hex User ID in the field. Typing or pasting an id by hand still works, and the field says whose
id it is. The list comes from the window (``MainWindow`` loads it with the profile's API token).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtWidgets import QCompleter, QLineEdit

if TYPE_CHECKING:
    from desktop_app.api.logs import Agent


def choice_text(agent: Agent) -> str:
    """How an agent is listed: 'Asha (demo agent) · ext 11 · 9000000011 · Agent'."""
    parts = [agent.name]
    if agent.extension:
        parts.append(f"ext {agent.extension}")
    parts += [part for part in (agent.number, agent.role) if part]
    return " · ".join(parts)


def who(agents: Sequence[Agent], user_id: str) -> str:
    """The name line for a typed id: 'Asha (demo agent) · ext 11', or '' when not one of them."""
    wanted = user_id.strip().lower()
    for agent in agents:
        if agent.user_id == wanted:
            return f"{agent.name} · ext {agent.extension}" if agent.extension else agent.name
    return ""


class AgentCompleter(QCompleter):
    """Attached to a User ID ``QLineEdit``; ``set_agents`` replaces the list (e.g. after a refresh)."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        self.agents: list[Agent] = []
        self._by_text: dict[str, str] = {}
        self.setModel(QStringListModel(self))
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setMaxVisibleItems(12)
        edit.setCompleter(self)
        self.activated[str].connect(self._chosen)

    def set_agents(self, agents: Sequence[Agent]) -> None:
        active = [agent for agent in agents if agent.active]
        self.agents = list(agents)
        self._by_text = {choice_text(agent): agent.user_id for agent in active}
        model = self.model()
        assert isinstance(model, QStringListModel)
        model.setStringList(list(self._by_text))
        # As wide as its longest entry (not just the field), so names and extensions are never cut.
        metrics = self.popup().fontMetrics()
        widest = max((metrics.horizontalAdvance(text) for text in self._by_text), default=0)
        self.popup().setMinimumWidth(min(widest + 40, 720))

    def _chosen(self, text: str) -> None:
        user_id = self._by_text.get(text)
        if user_id:
            # After QCompleter has put the chosen text in the field: then the id replaces it.
            QTimer.singleShot(0, lambda: self.edit.setText(user_id))
