"""Strict JSON for tests: every ``--json`` output must parse without Infinity or NaN.

Python's ``json.loads`` accepts ``Infinity``, ``-Infinity`` and ``NaN``, which strict parsers
(JavaScript's JSON.parse, jq, Go) refuse; a test that parses with it would never notice them.
"""

from __future__ import annotations

import json


def _refuse(name: str) -> object:
    raise ValueError(f"not strict JSON: {name} is not a JSON number")


def loads(text: str) -> object:
    """``json.loads`` that raises ValueError on NaN, Infinity and -Infinity."""
    return json.loads(text, parse_constant=_refuse)
