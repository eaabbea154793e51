"""The demo action plan `coalition demo load` adds: a living FY16–FY18 plan in which the
demo member owns items."""

from __future__ import annotations

from sqlalchemy import select

from coalition.actions import queries
from coalition.actions.models import ActionPlan, ItemYear, StatusUpdate
from coalition.auth.models import User


def load_demo(runner, db) -> ActionPlan:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    (plan,) = db.session.scalars(select(ActionPlan))
    return plan


def test_the_demo_plan_runs_over_three_years_and_is_published(runner, db):
    plan = load_demo(runner, db)
    assert plan.title == "Action plan FY16–FY18" and plan.is_published
    assert plan.year_labels == ["FY16", "FY17", "FY18"]
    assert plan.closed_years == {2016}
    assert [o.title for o in plan.objectives][0] == \
        "Ensure a safer and more secure online environment for children and youth"
    assert 3 <= len(plan.objectives) <= 4 and 8 <= len(plan.items) <= 10
    assert "Facilitate the exchange of information and best practices between countries " \
           "and regions" in [item.title for item in plan.items]


def test_the_demo_member_owns_items(runner, db):
    load_demo(runner, db)
    login = db.session.scalar(select(User).where(User.email == "member@example.org"))
    mine = queries.owned_by(login)
    assert len({row.item_id for row in mine}) >= 2
    assert any(row.status == "in_progress" for row in mine)


def test_the_history_is_plausible(runner, db, outbox):
    plan = load_demo(runner, db)
    rows = [row for item in plan.items for row in item.years]
    statuses = [row.status for row in rows]
    assert statuses.count("blocked") == 1 and "done" in statuses and "dropped" in statuses
    (blocked,) = [row for row in rows if row.status == "blocked"]
    assert "translations" in blocked.progress_note
    (carried,) = [row for row in rows if row.carried_from_id]
    assert carried.label == "FY17" and db.session.get(ItemYear, carried.carried_from_id).label \
        == "FY16"
    assert [u.note for u in queries.history(carried)][-1].startswith("Gap analysis")
    fy16 = [row for row in rows if row.year == 2016]
    assert all(row.updates for row in fy16)
    assert all(row.owners for row in rows)
    updates = list(db.session.scalars(select(StatusUpdate)))
    assert len(updates) > 20 and min(u.at for u in updates).year == 2016
    # Owners of a fictional history are not e-mailed.
    assert not [m for m in outbox() if "You own an action item" in m["Subject"]]


def test_the_demo_plan_prints_for_the_public(runner, db, client):
    plan = load_demo(runner, db)
    page = client.get(f"/actions/plans/{plan.id}/print").get_data(as_text=True)
    assert "Empower children, parents and educators" in page
    assert "Waiting for translations" in page
    assert page.count("Carried over from FY16") == 1
