"""Writing the action plan: items per fiscal year, owners, status rules, conflicts,
carrying over and closing a year."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from coalition.actions import services
from coalition.actions.models import ItemYear, StatusUpdate
from coalition.actions.services import Conflict, ItemInput, PlanInput
from coalition.audit.models import AuditEvent
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.members import services as members
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan


@pytest.fixture
def owner(app):
    """An active member with a login, and that login."""
    member = make_member(login=True, name="Olga Owner")
    return member, members.login_of(member)


def test_a_plan_checks_its_years(app):
    with pytest.raises(ValidationError, match="comes after the first"):
        services.create_plan(SYSTEM, PlanInput(title="P", first_year=2018, last_year=2016))
    with pytest.raises(ValidationError, match="at most 15"):
        services.create_plan(SYSTEM, PlanInput(title="P", first_year=2000, last_year=2020))
    plan = make_plan(2016, 2018)
    assert plan.year_labels == ["FY16", "FY17", "FY18"]


def test_an_item_runs_in_the_years_chosen_and_only_in_the_plan(app):
    plan = make_plan(2016, 2018)
    item = make_item(plan, years=(2016, 2017))
    assert [(row.label, row.status) for row in item.years] == [
        ("FY16", "planned"), ("FY17", "planned")]
    with pytest.raises(ValidationError, match="FY19 is outside the plan"):
        services.create_item(SYSTEM, plan, ItemInput(title="x", years=[2019]))
    services.update_item(SYSTEM, item, ItemInput(title=item.title, years=[2017, 2018],
                                                 objective_id=item.objective_id))
    assert [row.label for row in item.years] == ["FY17", "FY18"]


def test_a_year_with_history_cannot_be_taken_away(app, owner):
    member, login = owner
    item = make_item(years=(2016, 2017), owners=(member,))
    with pytest.raises(ValidationError, match="FY16 has owners or a history"):
        services.update_item(SYSTEM, item, ItemInput(title=item.title, years=[2017]))


def test_new_owners_are_told_by_email(app, outbox):
    organization = make_organization(name="Child Helpline International")
    colleague = make_member(name="Cora Colleague", organization_id=organization.id)
    direct = make_member(name="Dana Direct")
    item = make_item(title="Exchange best practices")
    row = item.years[0]
    told = services.set_owners(SYSTEM, row, [direct.id], [organization.id])
    db.session.commit()
    assert sorted(m.name for m in told) == ["Cora Colleague", "Dana Direct"]
    messages = outbox()
    assert sorted(str(m["To"]) for m in messages) == [
        f"Cora Colleague <{colleague.email}>", f"Dana Direct <{direct.email}>"]
    assert "Exchange best practices" in messages[0]["Subject"]
    assert f"/actions/items/{item.id}" in messages[0].get_content()
    assert services.set_owners(SYSTEM, row, [direct.id], [organization.id]) == []


def test_an_owner_moves_their_item_and_the_history_keeps_each_step(app, owner):
    member, login = owner
    item = make_item(owners=(member,))
    row = item.years[0]
    services.change_status(login, row, "in_progress", "Drafting the survey.", 1)
    services.change_status(login, row, "done", None, 2)
    db.session.commit()
    history = [(u.from_status, u.to_status, u.note, u.actor_label) for u in row.updates]
    assert history == [("planned", "in_progress", "Drafting the survey.", login.audit_label),
                       ("in_progress", "done", None, login.audit_label)]
    assert (row.status, row.progress_note, row.version) == ("done", "Drafting the survey.", 3)


def test_ownership_through_the_organization(app):
    organization = make_organization()
    member = make_member(login=True, organization_id=organization.id)
    login = members.login_of(member)
    item = make_item(organizations=(organization,))
    assert services.owns(login, item.years[0])
    services.change_status(login, item.years[0], "in_progress", None, 1)


def test_someone_else_item_is_refused(app, owner):
    member, login = owner
    item = make_item(owners=(make_member(),))
    with pytest.raises(PermissionDenied):
        services.change_status(login, item.years[0], "in_progress", None, 1)
    assert services.allowed_statuses(login, item.years[0]) == []


def test_a_member_who_left_no_longer_owns(app, owner):
    member, login = owner
    item = make_item(owners=(member,))
    members.set_status(SYSTEM, member, "left")
    assert not services.owns(login, item.years[0])


@pytest.mark.parametrize(("path", "error"), [
    (["done", ("in_progress", None)], "Say why the item is re-opened from done"),
    ([("blocked", None)], "Say why the item is blocked"),
    ([("dropped", None)], "Only a focal contact can drop an item"),
    ([("planned", None)], "Nothing changed"),
    ([("finished", None)], "Choose a status from the list"),
])
def test_the_rules_of_the_statuses(app, owner, path, error):
    member, login = owner
    row = make_item(owners=(member,)).years[0]
    steps = [(step, "note") if isinstance(step, str) else step for step in path]
    for status, note in steps[:-1]:
        services.change_status(login, row, status, note, row.version)
    status, note = steps[-1]
    with pytest.raises(ValidationError, match=error):
        services.change_status(login, row, status, note, row.version)


def test_only_the_allowed_statuses_are_offered(app, owner, focal):
    member, login = owner
    row = make_item(owners=(member,)).years[0]
    assert services.allowed_statuses(login, row) == ["planned", "in_progress", "done",
                                                     "blocked"]
    assert "dropped" in services.allowed_statuses(focal, row)
    services.change_status(focal, row, "dropped", "No funding.", 1)
    assert services.allowed_statuses(login, row) == []  # re-opening is the focal's call
    assert services.allowed_statuses(focal, row) == ["planned", "in_progress", "dropped"]


def test_a_stale_form_gets_a_conflict_and_changes_nothing(app, owner, focal):
    member, login = owner
    row = make_item(owners=(member,)).years[0]
    services.change_status(focal, row, "in_progress", "Started by the secretariat.", 1)
    db.session.commit()
    with pytest.raises(Conflict):
        services.change_status(login, row, "blocked", "No data.", 1)  # saw version 1
    db.session.rollback()
    assert [u.to_status for u in row.updates] == ["in_progress"]


def _save_in_thread(app, row_id: int, status: str, note: str, outcomes: dict) -> None:
    """One person saving the form they opened at version 1."""
    with app.app_context():
        row = db.session.get(ItemYear, row_id)
        time.sleep(0.3)  # on PostgreSQL both have now read the row; SQLite queues writers
        try:
            services.change_status(SYSTEM, row, status, note, 1)
            db.session.commit()
            outcomes[status] = "saved"
        except Conflict:
            db.session.rollback()
            outcomes[status] = "conflict"
        finally:
            db.session.remove()


def test_two_concurrent_updates_one_wins_the_other_is_told(app):
    row_id = make_item().years[0].id
    outcomes: dict[str, str] = {}
    threads = [threading.Thread(target=_save_in_thread, args=(app, row_id, status, note,
                                                              outcomes))
               for status, note in (("in_progress", "Ana started"), ("blocked", "Ben: stuck"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    db.session.expire_all()
    row = db.session.get(ItemYear, row_id)
    updates = list(db.session.scalars(select(StatusUpdate).where(
        StatusUpdate.item_year_id == row_id)))
    winner = next(status for status, outcome in outcomes.items() if outcome == "saved")
    assert [u.to_status for u in updates] == [winner] and row.status == winner
    assert row.version == 2


def test_carrying_over_keeps_owners_status_and_history(app, owner):
    member, login = owner
    item = make_item(years=(2016,), owners=(member,))
    row = item.years[0]
    services.change_status(login, row, "in_progress", "Half way.", 1)
    nxt = services.carry_over(SYSTEM, row)
    db.session.commit()
    assert (nxt.label, nxt.status, nxt.progress_note, nxt.carried_from_id) == (
        "FY17", "in_progress", "Half way.", row.id)
    assert [o.member_id for o in nxt.owners] == [member.id]
    assert nxt.updates[0].note == "Carried over from FY16."
    with pytest.raises(ValidationError, match="already runs in FY17"):
        services.carry_over(SYSTEM, row)
    services.change_status(login, nxt, "done", None, nxt.version)
    with pytest.raises(ValidationError, match="Only an unfinished item"):
        services.carry_over(SYSTEM, nxt)


def test_a_closed_year_keeps_its_statuses(app, owner, focal):
    member, login = owner
    plan = make_plan()
    item = make_item(plan, years=(2016,), owners=(member,))
    [fy16] = item.years
    services.change_status(login, fy16, "in_progress", None, 1)
    services.close_year(focal, plan, 2016)
    db.session.commit()
    for attempt in (lambda: services.change_status(login, fy16, "done", None, fy16.version),
                    lambda: services.change_status(focal, fy16, "done", None, fy16.version),
                    lambda: services.set_owners(focal, fy16, [], []),
                    lambda: services.close_year(focal, plan, 2016)):
        with pytest.raises(ValidationError, match="closed"):
            attempt()
    services.carry_over(focal, fy16)  # what was unfinished goes on in FY17 ...
    db.session.commit()
    assert fy16.status == "in_progress"  # ... and FY16 still shows what it was
    assert services.allowed_statuses(login, fy16) == []
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "action_plans")).all()
    assert "close_year" in events


def test_only_a_focal_contact_shapes_the_plan(app, owner):
    member, login = owner
    plan = make_plan()
    for attempt in (lambda: services.create_plan(login, PlanInput("x", None, 2016, 2017)),
                    lambda: services.create_objective(login, plan, "x"),
                    lambda: services.create_item(login, plan, ItemInput("x", years=[2016])),
                    lambda: services.close_year(login, plan, 2016),
                    lambda: services.set_published(login, plan, True)):
        with pytest.raises(PermissionDenied):
            attempt()
