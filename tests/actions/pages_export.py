"""The printable action plan for the quality gates: a published plan (with a closed year,
owners who do and do not show their names, a long note) as each role sees it, and an
unpublished one, which the public cannot see. The CSV export answers a file, not a page:
tests/actions/test_exports.py covers it."""

from __future__ import annotations

from datetime import date

from coalition.actions import services
from coalition.extensions import db
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan
from tests.quality.catalog import (
    ANONYMOUS,
    FOCAL,
    MEMBER,
    NOBODY,
    NOT_FOUND,
    OK,
    Case,
    Samples,
)

NOT_PAGES = {"action_export.csv"}


def add_samples(s: Samples) -> None:
    plan = make_plan(2016, 2018, title="Printable plan FY16–FY18",
                     description="The coalition's plan.\nAdopted at IGF 2015.")
    services.update_objective(SYSTEM, plan.objectives[0], "Ensure a safer and more secure "
                              "online environment for children and youth",
                              "Protection that respects children's rights.")
    second = services.create_objective(SYSTEM, plan, "Empower children, parents and "
                                                     "educators")
    services.create_objective(SYSTEM, plan, "An objective with no items yet")
    db.session.flush()
    shown = make_member(name="Printa Shown", listed_publicly=True, show_name=True)
    hidden = make_member(name="Printo Hidden")
    organization = make_organization(name="Print Helpline Network", acronym="PHN")
    exchange = make_item(plan, years=(2016, 2017, 2018), owners=(shown, hidden),
                         organizations=(organization,),
                         title="Facilitate the exchange of information and best practices "
                               "between countries and regions",
                         description="Regional meetings and a shared list of strategies.")
    webinars = make_item(plan, years=(2017,), owners=(hidden,),
                         objective_id=second.id, title="Run webinars for parents")
    services.change_status(SYSTEM, exchange.year(2016), "done",
                           "Fourteen countries shared their practices at four regional "
                           "meetings; the list is on the website.", None)
    services.change_status(SYSTEM, exchange.year(2017), "blocked",
                           "Waiting for translations.", None)
    services.change_status(SYSTEM, webinars.year(2017), "dropped", "Out of scope.", None)
    services.update_tracking(SYSTEM, exchange.year(2018), date(2018, 6, 30))
    services.close_year(SYSTEM, plan, 2016)
    services.set_published(SYSTEM, plan, True)
    draft = make_plan(title="Unpublished printable plan")
    make_item(draft, years=(2016,), title="A draft item")
    db.session.commit()
    s.actions_export_published_plan_id = plan.id
    s.actions_export_draft_plan_id = draft.id


def cases(s: Samples) -> list[Case]:
    published = f"/actions/plans/{s.actions_export_published_plan_id}/print"
    draft = f"/actions/plans/{s.actions_export_draft_plan_id}/print"
    return [
        Case("printable action plan", ANONYMOUS, published),
        Case("printable action plan, member", MEMBER, published),
        Case("printable action plan, focal contact", FOCAL, published),
        Case("printable unpublished plan, anonymous", ANONYMOUS, draft, status=404),
        Case("printable unpublished plan, member", MEMBER, draft),
        Case("printable unpublished plan, focal contact", FOCAL, draft),
    ]


MATRIX = {
    # Signed-in people follow a plan while it is drafted; the public sees published ones.
    "/actions/plans/<int:plan_id>/export.csv": (
        "/actions/plans/{actions_export_draft_plan_id}/export.csv", (NOT_FOUND, OK, OK),
        NOBODY),
    "/actions/plans/<int:plan_id>/print": (
        "/actions/plans/{actions_export_draft_plan_id}/print", (NOT_FOUND, OK, OK), NOBODY),
}
