"""Action plans, their objectives and items, each item's tracking row per fiscal year
(status, note, due date, owners), the append-only status updates, and closed years."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coalition import fiscal
from coalition.db import UTCDateTime, one_of, utcnow
from coalition.extensions import db


class ItemStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"planned": "Planned", "in_progress": "In progress", "done": "Done",
                "blocked": "Blocked", "dropped": "Dropped"}[self.value]


UNFINISHED = (ItemStatus.PLANNED.value, ItemStatus.IN_PROGRESS.value,
              ItemStatus.BLOCKED.value)


class ActionPlan(db.Model):
    """A plan over a range of fiscal years (stored as the four-digit year each is named by:
    2016 is FY16)."""

    __tablename__ = "action_plans"
    __table_args__ = (
        CheckConstraint("first_year <= last_year", name="years_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    objectives: Mapped[list[Objective]] = relationship(
        back_populates="plan", order_by="Objective.position")
    items: Mapped[list[ActionItem]] = relationship(
        back_populates="plan", order_by="ActionItem.position")
    closures: Mapped[list[YearClosure]] = relationship(
        back_populates="plan", order_by="YearClosure.year")

    def __repr__(self) -> str:
        return f"<ActionPlan {self.id} {self.title}>"

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    @property
    def year_labels(self) -> list[str]:
        return [fiscal.label(year) for year in self.years]

    @property
    def closed_years(self) -> set[int]:
        return {closure.year for closure in self.closures}


class Objective(db.Model):
    __tablename__ = "action_objectives"
    __table_args__ = (Index("ix_action_objectives_plan", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[ActionPlan] = relationship(back_populates="objectives")
    items: Mapped[list[ActionItem]] = relationship(
        back_populates="objective", order_by="ActionItem.position")


class ActionItem(db.Model):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_plan", "plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id"))
    objective_id: Mapped[int | None] = mapped_column(ForeignKey("action_objectives.id"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[ActionPlan] = relationship(back_populates="items")
    objective: Mapped[Objective | None] = relationship(back_populates="items")
    years: Mapped[list[ItemYear]] = relationship(
        back_populates="item", order_by="ItemYear.year")

    def year(self, year: int) -> ItemYear | None:
        return next((row for row in self.years if row.year == year), None)


class ItemYear(db.Model):
    """An item in one fiscal year: what the owners update. `version` counts the changes,
    so two people saving the same row at once cannot overwrite each other."""

    __tablename__ = "action_item_years"
    __table_args__ = (
        UniqueConstraint("item_id", "year"),
        one_of("status", ItemStatus),
        Index("ix_action_item_years_year_status", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("action_items.id"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.PLANNED.value)
    progress_note: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    # The row this one continues (an unfinished item carried over from the year before).
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("action_item_years.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    item: Mapped[ActionItem] = relationship(back_populates="years")
    owners: Mapped[list[ItemOwner]] = relationship(
        back_populates="item_year", cascade="all, delete-orphan", order_by="ItemOwner.id")
    updates: Mapped[list[StatusUpdate]] = relationship(
        back_populates="item_year", order_by="StatusUpdate.id")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<ItemYear {self.item_id} FY{self.year % 100:02d} {self.status}>"

    @property
    def label(self) -> str:
        return fiscal.label(self.year)

    @property
    def status_label(self) -> str:
        return ItemStatus(self.status).label


class ItemOwner(db.Model):
    """A member or an organization owning an item-year (exactly one of the two)."""

    __tablename__ = "action_item_owners"
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) != (organization_id IS NULL)",
                        name="member_or_organization"),
        UniqueConstraint("item_year_id", "member_id"),
        UniqueConstraint("item_year_id", "organization_id"),
        Index("ix_action_item_owners_member", "member_id"),
        Index("ix_action_item_owners_organization", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_year_id: Mapped[int] = mapped_column(ForeignKey("action_item_years.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))

    item_year: Mapped[ItemYear] = relationship(back_populates="owners")
    member = relationship("Member")
    organization = relationship("Organization")


class StatusUpdate(db.Model):
    """One change of an item-year's status or note; never changed or deleted."""

    __tablename__ = "action_status_updates"
    __table_args__ = (
        one_of("to_status", ItemStatus),
        one_of("from_status", ItemStatus, nullable=True),
        Index("ix_action_status_updates_item_year", "item_year_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_year_id: Mapped[int] = mapped_column(ForeignKey("action_item_years.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    item_year: Mapped[ItemYear] = relationship(back_populates="updates")

    @property
    def from_label(self) -> str | None:
        return ItemStatus(self.from_status).label if self.from_status else None

    @property
    def to_label(self) -> str:
        return ItemStatus(self.to_status).label


class YearClosure(db.Model):
    """A closed fiscal year of a plan: its item-years are frozen as they stood."""

    __tablename__ = "action_year_closures"

    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(200))

    plan: Mapped[ActionPlan] = relationship(back_populates="closures")


class DigestRun(db.Model):
    """Each `coalition actions digest`: the digest covers the updates after the last one."""

    __tablename__ = "action_digest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_update_id: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
