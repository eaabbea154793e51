"""Reading the audit trail: filtered, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.extensions import db
from coalition.pagination import Page, paginate

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: int | None = None
    actor_label: str | None = None  # a person's e-mail, or a command such as "command: ..."


def events(filters: AuditFilter, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    query = select(AuditEvent)
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditEvent.entity_id == filters.entity_id)
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.actor_label:
        query = query.where(AuditEvent.actor_label == filters.actor_label)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return paginate(query, page, per_page)


def entity_types() -> list[str]:
    query = select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
    return list(db.session.scalars(query))


def actor_labels() -> list[str]:
    """Everyone and everything that has changed something: people and commands."""
    query = select(AuditEvent.actor_label).distinct().order_by(AuditEvent.actor_label)
    return list(db.session.scalars(query))
