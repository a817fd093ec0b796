"""The three kinds of call and how each is named on the wire (``type``) and to a person.

Part of the request schema in ``api/models.py`` (which re-exports it), kept apart so the Dial form's
mode buttons can be drawn before the first paint without the schema's dataclasses (~2.5 ms of
generated code; issue 12).
"""

from __future__ import annotations

from enum import Enum


class CallKind(str, Enum):
    USER = "user"
    ANONYMOUS = "anonymous"
    IVR = "ivr"

    @property
    def wire_type(self) -> str:
        return "2" if self is CallKind.IVR else "1"

    @property
    def label(self) -> str:
        return {"user": "User dial", "anonymous": "Anonymous dial", "ivr": "IVR call"}[self.value]
