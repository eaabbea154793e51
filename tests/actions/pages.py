"""The board and item pages for the quality gates: a published plan (closed year, an item
carried over, owners named and unnamed, an archived item), a draft plan and an empty one;
the board plain, filtered and with nothing matching, as each role sees it; the item page
per role; and the 404s (a draft for the public, an archived item, unknown ids)."""

from __future__ import annotations

from datetime import date

from coalition.actions import services
from coalition.extensions import db
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan
from tests.quality.catalog import (
    ANONYMOUS,
    EVERYONE,
    FOCAL,
    MEMBER,
    NOBODY,
    NOT_FOUND,
    OK,
    Case,
    Samples,
)


def add_samples(s: Samples) -> None:
    plan = make_plan(2016, 2018, title="Board sample: Dynamic Coalition action plan",
                     description="What the coalition will do from FY16 to FY18.\n"
                                 "Owners update their items here.")
    safer = plan.objectives[0]
    services.update_objective(SYSTEM, safer, "Board sample: ensure a safer and more secure "
                                             "online environment for children and youth")
    exchange = services.create_objective(SYSTEM, plan, "Board sample: share what works")
    named = make_member(name="Board Sample Named Owner", listed_publicly=True,
                        show_name=True)
    hidden = make_member(name="Board Sample Hidden Owner", listed_publicly=True)
    network = make_organization(name="Board sample: Safer Internet Network", acronym="SIN")
    carried = make_item(plan, years=(2016,), owners=(named, hidden),
                        objective_id=safer.id,
                        title="Board sample: facilitate the exchange of information and "
                              "best practices between countries and regions",
                        description="Webinars and a shared library of national practices.")
    helplines = make_item(plan, years=(2016, 2017), organizations=(network,),
                          objective_id=safer.id, title="Board sample: map helplines")
    guide = make_item(plan, years=(2017, 2018), owners=(hidden,), objective_id=exchange.id,
                      title="Board sample: a guide for parents")
    make_item(plan, years=(2018,), objective_id=None, title="Board sample: IGF session")
    archived = make_item(plan, years=(2017,), objective_id=exchange.id,
                         title="Board sample: withdrawn idea")
    archived.is_archived = True
    services.change_status(SYSTEM, carried.year(2016), "in_progress",
                           "Three webinars held.", None)
    services.change_status(SYSTEM, helplines.year(2016), "done", "Forty helplines mapped.",
                           None)
    services.change_status(SYSTEM, guide.year(2017), "blocked", "Waiting for funding.", None)
    services.update_tracking(SYSTEM, guide.year(2018), date(2018, 11, 30))
    next_year = services.carry_over(SYSTEM, carried.year(2016))
    services.close_year(SYSTEM, plan, 2016)
    services.change_status(SYSTEM, next_year, "done", "Library online.", None)
    services.set_published(SYSTEM, plan, True)

    draft = make_plan(2019, 2020, title="Board sample: draft plan")
    draft_item = make_item(draft, years=(2019, 2020), owners=(named,),
                           title="Board sample: draft item")
    empty = make_plan(2021, 2022, title="Board sample: empty plan")
    db.session.flush()
    s.actions_board_plan_id = plan.id
    s.actions_board_objective_id = exchange.id
    s.actions_board_organization_id = network.id
    s.actions_board_item_id = carried.id
    s.actions_board_archived_item_id = archived.id
    s.actions_board_draft_plan_id = draft.id
    s.actions_board_draft_item_id = draft_item.id
    s.actions_board_empty_plan_id = empty.id


def cases(s: Samples) -> list[Case]:
    board = f"/actions/?plan={s.actions_board_plan_id}"
    draft = f"/actions/?plan={s.actions_board_draft_plan_id}"
    item = f"/actions/items/{s.actions_board_item_id}"
    draft_item = f"/actions/items/{s.actions_board_draft_item_id}"
    archived = f"/actions/items/{s.actions_board_archived_item_id}"
    return [
        Case("action plan board", ANONYMOUS, "/actions/"),
        Case("action plan board, a published plan", ANONYMOUS, board),
        Case("action plan board, filtered", ANONYMOUS,
             f"{board}&objective={s.actions_board_objective_id}&status=blocked"),
        Case("action plan board, by owner and year", ANONYMOUS,
             f"{board}&owner=organization-{s.actions_board_organization_id}&year=2017"),
        Case("action plan board, nothing matches", ANONYMOUS,
             f"{board}&status=dropped&year=2016"),
        Case("action plan board, member", MEMBER, board),
        Case("action plan board, draft plan, member", MEMBER, draft),
        Case("action plan board, focal contact", FOCAL, board),
        Case("action plan board, empty plan, focal contact", FOCAL,
             f"/actions/?plan={s.actions_board_empty_plan_id}"),
        Case("action plan board, one year, focal contact", FOCAL, f"{board}&year=2016"),
        Case("action plan board: draft plan for the public", ANONYMOUS, draft, status=404),
        Case("action plan board: unknown plan", MEMBER, "/actions/?plan=999999", status=404),
        Case("action item", ANONYMOUS, item),
        Case("action item, member", MEMBER, item),
        Case("action item, focal contact", FOCAL, item),
        Case("action item in a draft plan, member", MEMBER, draft_item),
        Case("action item in a draft plan, focal contact", FOCAL, draft_item),
        Case("archived action item, focal contact", FOCAL, archived),
        Case("action item: draft plan for the public", ANONYMOUS, draft_item, status=404),
        Case("action item: archived, member", MEMBER, archived, status=404),
        Case("action item: unknown", ANONYMOUS, "/actions/items/999999", status=404),
    ]


MATRIX = {
    "/actions/": ("/actions/?plan={actions_board_plan_id}", EVERYONE, NOBODY),
    "/actions/items/<int:item_id>": ("/actions/items/{actions_board_draft_item_id}",
                                     (NOT_FOUND, OK, OK), NOBODY),
}
