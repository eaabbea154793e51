"""The digest of the action plan for the focal contacts: every status update since the
last digest, by plan and item, e-mailed to each active focal contact (run by cron through
`coalition actions digest`). A run with nothing to report sends and records nothing, so
the next one still starts where the last e-mailed digest ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coalition.actions.models import ActionItem, ActionPlan, DigestRun, ItemYear, StatusUpdate
from coalition.auth.models import Role, User
from coalition.extensions import db
from coalition.mail import outgoing
from coalition.mail.messages import notification
from coalition.urls import external_url


@dataclass
class ItemChanges:
    item: ActionItem
    link: str
    lines: list[str] = field(default_factory=list)


@dataclass
class PlanChanges:
    plan: ActionPlan
    items: list[ItemChanges] = field(default_factory=list)


@dataclass
class Digest:
    """What changed since the last digest (`previous`; None: the first digest)."""

    previous: DigestRun | None
    updates: list[StatusUpdate]
    plans: list[PlanChanges]

    @property
    def last_update_id(self) -> int:
        return self.updates[-1].id if self.updates else (
            self.previous.last_update_id if self.previous else 0)

    @property
    def since(self) -> datetime | None:
        return self.previous.sent_at if self.previous else None

    @property
    def subject(self) -> str:
        count = len(self.updates)
        changes = f"{count} change{'' if count == 1 else 's'}"
        since = f"since {self.since.date().isoformat()}" if self.since else "so far"
        return f"Action plan: {changes} {since}"


def last_run() -> DigestRun | None:
    return db.session.scalar(select(DigestRun).order_by(DigestRun.id.desc()).limit(1))


def recipients() -> list[User]:
    """The active focal contacts, by name."""
    return list(db.session.scalars(select(User).where(
        User.role == Role.FOCAL_CONTACT.value, User.is_active.is_(True))
        .order_by(User.name, User.id)))


def _actor_names(updates: list[StatusUpdate]) -> dict[int, str]:
    ids = {update.actor_id for update in updates if update.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def describe(update: StatusUpdate, actor_name: str | None = None) -> str:
    """'FY16: planned → in progress by Olga Owner on 2016-03-04: note'."""
    label = update.item_year.label
    if update.from_status is None:
        change = f"{update.to_label.lower()} (new)"
    elif update.from_status == update.to_status:
        change = f"{update.to_label.lower()} (note added)"
    else:
        change = f"{update.from_label.lower()} → {update.to_label.lower()}"
    text = f"{label}: {change} by {actor_name or update.actor_label} on " \
           f"{update.at.date().isoformat()}"
    return f"{text}: {update.note}" if update.note else text


def pending() -> Digest:
    """The status updates after the last digest, grouped by plan then item, each in the
    plan's and the item's order, the updates oldest first."""
    previous = last_run()
    updates = list(db.session.scalars(
        select(StatusUpdate)
        .where(StatusUpdate.id > (previous.last_update_id if previous else 0))
        .order_by(StatusUpdate.id)
        .options(selectinload(StatusUpdate.item_year).selectinload(ItemYear.item)
                 .selectinload(ActionItem.plan))))
    names = _actor_names(updates)
    plans: dict[int, PlanChanges] = {}
    items: dict[int, ItemChanges] = {}
    for update in updates:
        item = update.item_year.item
        plan = plans.setdefault(item.plan_id, PlanChanges(item.plan))
        if item.id not in items:
            items[item.id] = ItemChanges(item, external_url("actions.item", item_id=item.id))
            plan.items.append(items[item.id])
        items[item.id].lines.append(describe(update, names.get(update.actor_id)))
    ordered = sorted(plans.values(), key=lambda p: p.plan.id)
    for plan in ordered:
        plan.items.sort(key=lambda changes: changes.item.position)
    return Digest(previous, updates, ordered)


def queue_digest(digest: Digest, to: list[User]) -> DigestRun:
    """Queue the digest to each of `to` and record the run; only flushes (the caller
    commits, and the mail leaves after the commit)."""
    for user in to:
        outgoing.queue(notification(
            user.name, user.email, digest.subject, "actions/email/digest.txt",
            user=user, digest=digest, board=external_url("actions.board")))
    run = DigestRun(last_update_id=digest.last_update_id, recipients=len(to))
    db.session.add(run)
    db.session.flush()
    return run
