"""The owners' action-plan pages for the quality gates: "My items" (with items, and for a
focal contact without a member record), the status form in each state (open, closed year,
dropped item, with errors, after a conflict) and its 403/404 pages; the API's access rows.
The API answers JSON: tests/actions/test_api.py covers it."""

from __future__ import annotations

from datetime import date

from coalition.actions import services
from coalition.auth.models import User
from coalition.extensions import db
from coalition.members.models import Member
from tests.factories import SYSTEM, make_item, make_member, make_plan
from tests.quality.catalog import (
    API_SIGNED_IN,
    EVERYONE,
    FOCAL,
    MEMBER,
    NOBODY,
    SIGNED_IN,
    Case,
    Samples,
)


def add_samples(s: Samples) -> None:
    """A published plan over FY16–FY17 in which the sample member (their record comes from
    tests/members/pages.py) owns an item in both years (FY16 closed, FY17 in progress with
    a due date) and a dropped item; another member owns a third item."""
    own = db.session.get(Member, s.own_member_id)
    focal = db.session.get(User, s.focal_user_id)
    plan = make_plan(2016, 2017, title="Status sample: child online safety FY16–FY17")
    survey = make_item(plan, years=(2016, 2017), owners=(own,),
                       title="Status sample: survey helplines on online grooming")
    hotlines = make_item(plan, years=(2017,), owners=(make_member(name="Status Sample Other"),),
                         title="Status sample: map national reporting hotlines")
    dropped = make_item(plan, years=(2017,), owners=(own,),
                        title="Status sample: translate the guidelines")
    services.change_status(SYSTEM, survey.year(2016), "done", "Report sent to the members.",
                           None)
    services.change_status(focal, survey.year(2017), "in_progress",
                           "Questionnaire drafted with the secretariat.", None)
    services.update_tracking(SYSTEM, survey.year(2017), date(2017, 9, 30))
    services.change_status(focal, dropped.year(2017), "dropped", "No translator found.", None)
    services.close_year(SYSTEM, plan, 2016)
    services.set_published(SYSTEM, plan, True)
    db.session.flush()
    s.status_plan_id = plan.id
    s.status_version = survey.year(2017).version
    s.status_item_id = survey.id
    s.status_other_item_id = hotlines.id
    s.status_dropped_item_id = dropped.id


def cases(s: Samples) -> list[Case]:
    open_form = f"/actions/items/{s.status_item_id}/years/2017/status"
    closed_form = f"/actions/items/{s.status_item_id}/years/2016/status"
    other_form = f"/actions/items/{s.status_other_item_id}/years/2017/status"
    dropped_form = f"/actions/items/{s.status_dropped_item_id}/years/2017/status"
    return [
        Case("my items", MEMBER, "/actions/mine"),
        Case("my items: focal contact without a member record", FOCAL, "/actions/mine"),
        Case("status form", MEMBER, open_form),
        Case("status form, focal contact", FOCAL, other_form),
        Case("status form, closed year", MEMBER, closed_form),
        Case("status form, dropped item", MEMBER, dropped_form),
        Case("status form, a note missing", MEMBER, open_form, "POST",
             {"status": "blocked", "note": "", "version": str(s.status_version)}, 400),
        Case("status form, a conflict", MEMBER, open_form, "POST",
             {"status": "done", "note": "Survey closed with 40 answers.", "version": "1"},
             409),
        Case("status form: someone else's item", MEMBER, other_form, status=403),
        Case("status form: a year the item does not run in", MEMBER,
             f"/actions/items/{s.status_other_item_id}/years/2016/status", status=404),
    ]


MATRIX = {
    "/actions/mine": ("/actions/mine", SIGNED_IN, NOBODY),
    "/actions/items/<int:item_id>/years/<int:year>/status": (
        "/actions/items/{status_item_id}/years/2017/status", SIGNED_IN, SIGNED_IN),
    "/api/v1/action-plans/<int:plan_id>": ("/api/v1/action-plans/{status_plan_id}",
                                           EVERYONE, NOBODY),
    "/api/v1/action-items/<int:item_id>/years/<fy>/status": (
        "/api/v1/action-items/{status_item_id}/years/FY17/status", NOBODY, API_SIGNED_IN),
}
