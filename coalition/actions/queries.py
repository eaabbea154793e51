"""Reading the action plan: plans a visitor may see, an item-year's history (across the
years it was carried over), the latest change, and the item-years a person owns."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from coalition.actions import services
from coalition.actions.models import ActionItem, ActionPlan, ItemOwner, ItemYear, StatusUpdate
from coalition.extensions import db


def visible_plans(user) -> list[ActionPlan]:
    """Signed-in people see every plan that is not archived (members follow the plan while
    it is being drafted); the public only the published ones. Newest (by last fiscal
    year) first."""
    statement = select(ActionPlan).where(ActionPlan.is_archived.is_(False))
    if not (user is not None and getattr(user, "is_authenticated", False)):
        statement = statement.where(ActionPlan.is_published.is_(True))
    return list(db.session.scalars(statement.order_by(ActionPlan.last_year.desc(),
                                                      ActionPlan.id.desc())))


def can_see_plan(plan: ActionPlan, user) -> bool:
    if plan.is_archived:
        return services.can_manage(user)
    return plan.is_published or services.can_manage(user) or \
        bool(user is not None and getattr(user, "is_authenticated", False))


def history(item_year: ItemYear) -> list[StatusUpdate]:
    """Every status update of this item-year and of the rows it was carried over from,
    oldest first."""
    ids = []
    row: ItemYear | None = item_year
    while row is not None and row.id not in ids:
        ids.append(row.id)
        row = db.session.get(ItemYear, row.carried_from_id) if row.carried_from_id else None
    return list(db.session.scalars(select(StatusUpdate).where(
        StatusUpdate.item_year_id.in_(ids)).order_by(StatusUpdate.at, StatusUpdate.id)))


def latest_update(item_year_id: int) -> StatusUpdate | None:
    """The most recent change (the one a conflict message shows)."""
    return db.session.scalar(select(StatusUpdate).where(
        StatusUpdate.item_year_id == item_year_id).order_by(StatusUpdate.id.desc()).limit(1))


def owned_by(user) -> list[ItemYear]:
    """The item-years an active member owns, directly or through their organization, in
    plans that are not archived; by plan, year, then item order."""
    member = services.member_of(user)
    if member is None:
        return []
    mine = [ItemOwner.member_id == member.id]
    if member.organization_id is not None:
        mine.append(ItemOwner.organization_id == member.organization_id)
    owned = select(ItemOwner.item_year_id).where(or_(*mine))
    return list(db.session.scalars(
        select(ItemYear).join(ActionItem).join(ActionPlan)
        .where(ItemYear.id.in_(owned), ActionPlan.is_archived.is_(False),
               ActionItem.is_archived.is_(False))
        .order_by(ActionPlan.id, ItemYear.year, ActionItem.position)
        .options(selectinload(ItemYear.owners), selectinload(ItemYear.item))))
