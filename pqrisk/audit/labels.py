"""How audit events read to users, by the kind of object they are about.

Each app registers the Chinese labels of its actions and states for its own object types
(in its ``AppConfig.ready``), so that "start" reads 开始评估 on a case and 开始处置 on a
disposal task, and the audit pages need not know every app.
"""

from __future__ import annotations

from collections.abc import Mapping

_actions: dict[str, dict[str, str]] = {}
_states: dict[str, dict[str, str]] = {}


def register(
    object_type: str,
    *,
    actions: Mapping[str, str] | None = None,
    states: Mapping[str, str] | None = None,
) -> None:
    """Labels for audit events on ``object_type`` (``app_label.modelname``)."""
    if actions:
        _actions.setdefault(object_type, {}).update(actions)
    if states:
        _states.setdefault(object_type, {}).update(states)


def action_label(object_type: str, action: str) -> str | None:
    return _actions.get(object_type, {}).get(action)


def state_label(object_type: str, state: str) -> str | None:
    return _states.get(object_type, {}).get(state)
