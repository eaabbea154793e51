"""The one helper every writing service calls to leave an audit event."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from coalition.audit.models import AuditEvent
from coalition.auth.models import Actor, User
from coalition.extensions import db

REDACTED = "(hidden)"


def _plain(value: Any) -> Any:
    """Make a value JSON-safe while keeping it readable in the trail."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The current values of `fields` on `obj`, to compare after a change."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        field: [before.get(field), _plain(value)]
        for field, value in after.items()
        if before.get(field) != _plain(value)
    }


def record(
    actor: Actor | None,
    action: str,
    entity: Any,
    changes: dict[str, list[Any]] | None = None,
    summary: str = "",
) -> AuditEvent:
    """Add an audit event for `entity` (a model instance with an id) and flush it.

    `actor` is the signed-in user, a SystemActor for commands, or None for an anonymous
    visitor (for example someone confirming a link that was e-mailed to them).
    """
    db.session.flush()  # the entity needs its id
    event = AuditEvent(
        actor_id=actor.id if isinstance(actor, User) else None,
        actor_label=actor.audit_label if actor is not None else "anonymous",
        entity_type=entity.__tablename__,
        entity_id=str(entity.id),
        action=action,
        changes=changes or None,
        summary=summary[:500],
    )
    db.session.add(event)
    db.session.flush()
    return event
