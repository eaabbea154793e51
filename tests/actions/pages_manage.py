"""The focal contact's action-plan pages for the quality gates: the new-plan form, a plan's
management page (full and empty), the objective, item and owners forms, their error states,
and the member's 403."""

from __future__ import annotations

from datetime import date

from coalition.actions import services
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan
from tests.quality.catalog import FOCAL, FOCAL_ONLY, MEMBER, NOBODY, Case, Samples


def add_samples(s: Samples) -> None:
    """A plan over FY16–FY18 with two objectives, items owned by a member and by an
    organization, one in progress (so it can be carried over), one done, one without an
    objective, FY16 closed; and a plan with nothing in it yet."""
    plan = make_plan(2016, 2018, title="Manage sample: child online safety FY16–FY18")
    safer = plan.objectives[0]
    services.update_objective(SYSTEM, safer, "Ensure a safer and more secure online "
                              "environment for children and youth",
                              "Work with governments, industry and civil society.")
    research = services.create_objective(SYSTEM, plan, "Strengthen the evidence base")
    helplines = make_organization(name="Manage sample: Child Helpline Network",
                                  acronym="CHN")
    owner = make_member(name="Manage Sample Owner", email="manage-owner@example.org",
                        organization_id=helplines.id)
    exchange = make_item(plan, years=(2016, 2017), owners=(owner,),
                         organizations=(helplines,),
                         title="Facilitate the exchange of information and best practices "
                               "between countries and regions")
    mapping = make_item(plan, years=(2016,), owners=(owner,),
                        title="Map national helplines and reporting hotlines")
    survey = make_item(plan, years=(2017, 2018), objective_id=research.id,
                       title="Survey members on age verification")
    make_item(plan, years=(2018,), objective_id=None, title="Prepare the IGF 2018 session")
    services.change_status(SYSTEM, mapping.year(2016), "in_progress", "Twelve countries "
                           "mapped so far.", None)
    services.change_status(SYSTEM, exchange.year(2016), "done", "Webinar series held.",
                           None)
    services.update_tracking(SYSTEM, survey.year(2017), date(2017, 6, 30))
    services.close_year(SYSTEM, plan, 2016)
    empty = services.create_plan(SYSTEM, services.PlanInput(
        title="Manage sample: empty plan", first_year=2019, last_year=2021))
    s.action_manage_plan_id = plan.id
    s.action_manage_empty_plan_id = empty.id
    s.action_manage_objective_id = safer.id
    s.action_manage_item_id = exchange.id
    s.action_manage_open_item_id = mapping.id
    s.action_manage_survey_id = survey.id


def cases(s: Samples) -> list[Case]:
    plan = f"/actions/plans/{s.action_manage_plan_id}"
    empty = f"/actions/plans/{s.action_manage_empty_plan_id}"
    objective = f"/actions/objectives/{s.action_manage_objective_id}/edit"
    item = f"/actions/items/{s.action_manage_item_id}/edit"
    open_owners = f"/actions/items/{s.action_manage_survey_id}/years/2017/owners"
    closed_owners = f"/actions/items/{s.action_manage_item_id}/years/2016/owners"
    return [
        Case("new action plan", FOCAL, "/actions/plans/new"),
        Case("new action plan, with errors", FOCAL, "/actions/plans/new", "POST",
             {"title": "", "first_year": "FY18", "last_year": "next year"}, 400),
        Case("new action plan, years out of order", FOCAL, "/actions/plans/new", "POST",
             {"title": "Backwards", "first_year": "FY18", "last_year": "FY16"}, 400),
        Case("manage an action plan", FOCAL, f"{plan}/edit"),
        Case("manage an empty action plan", FOCAL, f"{empty}/edit"),
        Case("manage an action plan, details with errors", FOCAL, f"{plan}/edit", "POST",
             {"title": "", "first_year": "FY17", "last_year": "FY18"}, 400),
        Case("manage an unknown action plan", FOCAL, "/actions/plans/999999/edit",
             status=404),
        Case("new objective", FOCAL, f"{plan}/objectives/new"),
        Case("new objective, with errors", FOCAL, f"{plan}/objectives/new", "POST",
             {"title": ""}, 400),
        Case("edit an objective", FOCAL, objective),
        Case("edit an objective, with errors", FOCAL, objective, "POST",
             {"title": "x" * 301}, 400),
        Case("new action item", FOCAL, f"{plan}/items/new"),
        Case("new action item, with errors", FOCAL, f"{plan}/items/new", "POST",
             {"title": "", "objective_id": ""}, 400),
        Case("edit an action item with a closed year", FOCAL, item),
        Case("edit an action item, taking away a year with history", FOCAL, item, "POST",
             {"title": "Still here", "objective_id": "", "years": "2018"}, 400),
        Case("owners of an item-year", FOCAL, open_owners),
        Case("owners of an item-year in a closed year", FOCAL, closed_owners),
        Case("owners of an item-year, with errors", FOCAL, open_owners, "POST",
             {"members": "999999", "due_on": "30 June 2017"}, 400),
        Case("new action plan: member forbidden", MEMBER, "/actions/plans/new", status=403),
        Case("manage an action plan: member forbidden", MEMBER, f"{plan}/edit", status=403),
        Case("new objective: member forbidden", MEMBER, f"{plan}/objectives/new",
             status=403),
        Case("edit an objective: member forbidden", MEMBER, objective, status=403),
        Case("new action item: member forbidden", MEMBER, f"{plan}/items/new", status=403),
        Case("edit an action item: member forbidden", MEMBER, item, status=403),
        Case("owners of an item-year: member forbidden", MEMBER, open_owners, status=403),
    ]


MATRIX = {
    "/actions/plans/new": ("/actions/plans/new", FOCAL_ONLY, FOCAL_ONLY),
    "/actions/plans/<int:plan_id>/edit": ("/actions/plans/{action_manage_plan_id}/edit",
                                          FOCAL_ONLY, FOCAL_ONLY),
    "/actions/plans/<int:plan_id>/publish": (
        "/actions/plans/{action_manage_empty_plan_id}/publish", NOBODY, FOCAL_ONLY),
    "/actions/plans/<int:plan_id>/objectives/new": (
        "/actions/plans/{action_manage_plan_id}/objectives/new", FOCAL_ONLY, FOCAL_ONLY),
    "/actions/objectives/<int:objective_id>/edit": (
        "/actions/objectives/{action_manage_objective_id}/edit", FOCAL_ONLY, FOCAL_ONLY),
    "/actions/plans/<int:plan_id>/items/new": (
        "/actions/plans/{action_manage_plan_id}/items/new", FOCAL_ONLY, FOCAL_ONLY),
    "/actions/items/<int:item_id>/edit": ("/actions/items/{action_manage_item_id}/edit",
                                          FOCAL_ONLY, FOCAL_ONLY),
    "/actions/items/<int:item_id>/years/<int:year>/owners": (
        "/actions/items/{action_manage_survey_id}/years/2017/owners", FOCAL_ONLY,
        FOCAL_ONLY),
    "/actions/items/<int:item_id>/years/<int:year>/carry-over": (
        "/actions/items/{action_manage_open_item_id}/years/2016/carry-over", NOBODY,
        FOCAL_ONLY),
    "/actions/plans/<int:plan_id>/years/<int:year>/close": (
        "/actions/plans/{action_manage_empty_plan_id}/years/2021/close", NOBODY,
        FOCAL_ONLY),
}
