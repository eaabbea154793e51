"""The board (items × fiscal years, filters, the per-year summary), its public read-only
version (published plans only, owners named only with their consent) and the item page
with its full history."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from coalition.actions import services
from coalition.actions.models import ItemStatus
from coalition.extensions import db
from coalition.members import services as members
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan


class Tables(HTMLParser):
    """The text of each cell of each <table>, by the table's class: {class: [[cell, ...]]}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("class", "")
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def board_cells(html: str) -> dict[str, dict[str, str]]:
    """{item title: {column heading: cell text}} of the board's table."""
    rows = tables(html).get("board-table", [])
    if not rows:
        return {}
    heads = rows[0][1:]
    return {row[0]: dict(zip(heads, row[1:], strict=True)) for row in rows[1:]
            if len(row) == len(heads) + 1}


def summary_rows(html: str) -> dict[str, list[str]]:
    rows = tables(html)["summary-table"]
    return {row[0]: row[1:] for row in rows[1:]}


def history_tables(html: str) -> list[list[list[str]]]:
    """Each year's history on an item page: its rows without the time, oldest first."""
    years: list[list[list[str]]] = []
    for row in tables(html).get("history-table", []):
        if row[0] == "When":
            years.append([])
        else:
            years[-1].append(row[1:])
    return years


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def move(row, *steps: str) -> None:
    """Take an item-year through statuses as the system (a note for each step)."""
    for status in steps:
        services.change_status(SYSTEM, row, status, f"Now {status}.", None)
    db.session.commit()


@pytest.fixture
def plan_of_three_years(app):
    """A published FY16–FY18 plan with two objectives and four items, owned by a named
    member, an unnamed member and an organization."""
    plan = make_plan(2016, 2018, title="Child online safety plan")
    safer = plan.objectives[0]
    services.update_objective(SYSTEM, safer, "A safer online environment")
    exchange = services.create_objective(SYSTEM, plan, "Exchange of practices")
    db.session.commit()
    named = make_member(login=True, name="Nora Named", listed_publicly=True, show_name=True)
    hidden = make_member(login=True, name="Hugo Hidden", listed_publicly=True,
                         show_name=False)
    helpline = make_organization(name="Child Helpline International")
    survey = make_item(plan, years=(2016, 2017), owners=(named,), title="Survey helplines",
                       objective_id=safer.id)
    guide = make_item(plan, years=(2016,), owners=(hidden,), title="Write a parents' guide",
                      objective_id=safer.id)
    meetings = make_item(plan, years=(2017, 2018), organizations=(helpline,),
                         title="Regional meetings", objective_id=exchange.id)
    toolkit = make_item(plan, years=(2018,), title="Share a toolkit",
                        objective_id=exchange.id)
    move(survey.year(2016), "in_progress", "done")
    move(guide.year(2016), "in_progress")
    move(meetings.year(2017), "blocked")
    services.set_published(SYSTEM, plan, True)
    db.session.commit()
    return {"plan": plan, "survey": survey, "guide": guide, "meetings": meetings,
            "toolkit": toolkit, "named": named, "hidden": hidden, "helpline": helpline,
            "safer": safer, "exchange": exchange}


def signed_in(login, member_record):
    login(members.login_of(member_record))


# --- the board ------------------------------------------------------------------------

def test_the_board_shows_each_item_years_status_under_its_objective(client, login,
                                                                    plan_of_three_years):
    p = plan_of_three_years
    signed_in(login, p["named"])
    html = page(client, f"/actions/?plan={p['plan'].id}")
    cells = board_cells(html)
    assert cells["Survey helplines"]["FY16"].startswith("Done")
    assert cells["Survey helplines"]["FY17"].startswith("Planned")
    assert cells["Survey helplines"]["FY18"] == "— not in this year"
    assert cells["Write a parents' guide"]["FY16"] == "In progress Hugo Hidden"
    assert cells["Regional meetings"]["FY17"] == "Blocked Child Helpline International"
    assert cells["Share a toolkit"]["FY18"] == "Planned"
    rows = tables(html)["board-table"]
    headings = [row[0] for row in rows if len(row) == 1]
    assert headings == ["Objective: A safer online environment",
                        "Objective: Exchange of practices"]
    assert f'href="/actions/items/{p["survey"].id}"' in html
    assert "4 items." in html


def test_a_closed_year_says_so_and_keeps_its_statuses(client, login, focal,
                                                      plan_of_three_years):
    p = plan_of_three_years
    carried = services.carry_over(SYSTEM, p["guide"].year(2016))
    services.close_year(SYSTEM, p["plan"], 2016)
    db.session.commit()
    move(carried, "done")  # a later change in the next year
    html = page(client, f"/actions/?plan={p['plan'].id}")
    rows = tables(html)["board-table"]
    assert rows[0][:3] == ["Item", "FY16 closed", "FY17"]
    cells = board_cells(html)
    assert cells["Write a parents' guide"]["FY16 closed"].startswith("In progress")
    assert cells["Write a parents' guide"]["FY17"].startswith("Done")
    assert summary_rows(html)["FY16 closed"][:2] == ["0", "1"]  # planned, in progress


@pytest.mark.parametrize("query, expected", [
    ("objective={exchange}", {"Regional meetings", "Share a toolkit"}),
    ("owner=member-{named}", {"Survey helplines"}),
    ("owner=organization-{helpline}", {"Regional meetings"}),
    ("status=in_progress", {"Write a parents' guide"}),
    ("status=planned", {"Survey helplines", "Regional meetings", "Share a toolkit"}),
    ("year=2018", {"Regional meetings", "Share a toolkit"}),
    ("year=2017&status=planned", {"Survey helplines"}),
    ("objective={safer}&status=blocked", set()),
])
def test_filters_narrow_the_rows(client, login, plan_of_three_years, query, expected):
    p = plan_of_three_years
    signed_in(login, p["named"])
    query = query.format(exchange=p["exchange"].id, safer=p["safer"].id,
                         named=p["named"].id, helpline=p["helpline"].id)
    html = page(client, f"/actions/?plan={p['plan'].id}&{query}")
    assert set(board_cells(html)) == expected
    assert f"{len(expected)} of 4 " in html
    assert "Clear all filters" in html
    if not expected:
        assert "board-table" not in html


def test_the_year_filter_shows_that_year_alone(client, plan_of_three_years):
    p = plan_of_three_years
    html = page(client, f"/actions/?plan={p['plan'].id}&year=2017")
    assert tables(html)["board-table"][0] == ["Item", "FY17"]
    assert '<option value="2017" selected>FY17</option>' in html


def test_unknown_filter_values_are_ignored(client, plan_of_three_years):
    p = plan_of_three_years
    html = page(client, f"/actions/?plan={p['plan'].id}&objective=999999&owner=member-x"
                        "&status=finished&year=1999")
    assert len(board_cells(html)) == 4
    assert "Clear all filters" not in html


def test_the_summary_counts_each_status_and_the_share_done(client, plan_of_three_years):
    p = plan_of_three_years
    html = page(client, f"/actions/?plan={p['plan'].id}&status=blocked")
    # Whatever the filters: planned, in progress, done, blocked, dropped, total, share done.
    assert summary_rows(html) == {
        "FY16": ["0", "1", "1", "0", "0", "2", "50%"],
        "FY17": ["1", "0", "0", "1", "0", "2", "0%"],
        "FY18": ["2", "0", "0", "0", "0", "2", "0%"],
    }
    chart = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert chart.count('class="chart-year"') == 3
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
    assert "FY16 · 2 items · 50% done: 1 in progress, 1 done" in chart
    assert "style=" not in chart


def test_a_plan_without_items_has_an_empty_summary(client, login, focal):
    plan = make_plan(2016, 2017, title="Empty plan")
    login(focal)
    html = page(client, f"/actions/?plan={plan.id}")
    assert "The plan has no items yet." in html
    assert "Add the first item" in html
    assert summary_rows(html)["FY16"] == ["0", "0", "0", "0", "0", "0", "–"]


def test_several_plans_can_be_chosen(client, login, member, plan_of_three_years):
    older = make_plan(2013, 2015, title="Earlier plan")
    login(member)
    html = page(client, "/actions/")
    assert "<h1>Child online safety plan</h1>" in html  # the latest plan comes first
    assert f'<option value="{older.id}">Earlier plan (FY13–FY15) – draft</option>' in html
    assert "<h1>Earlier plan</h1>" in page(client, f"/actions/?plan={older.id}")


def test_focal_contacts_get_the_plans_tools(client, login, focal, plan_of_three_years):
    plan_id = plan_of_three_years["plan"].id
    login(focal)
    html = page(client, f"/actions/?plan={plan_id}")
    for href in (f"/actions/plans/{plan_id}/edit", f"/actions/plans/{plan_id}/items/new",
                 f"/actions/plans/{plan_id}/export.csv", f"/actions/plans/{plan_id}/print"):
        assert f'href="{href}"' in html


def test_members_do_not_get_the_plans_tools(client, login, member, plan_of_three_years):
    plan_id = plan_of_three_years["plan"].id
    login(member)
    html = page(client, f"/actions/?plan={plan_id}")
    assert f"/actions/plans/{plan_id}/edit" not in html
    assert "export.csv" not in html


# --- what the public sees -------------------------------------------------------------

def test_the_public_sees_no_draft(client, login, member):
    plan = make_plan(title="Draft plan")
    item = make_item(plan, title="Draft item")
    html = page(client, "/actions/")
    assert "No action plan has been published yet." in html
    assert "Draft plan" not in html
    page(client, f"/actions/?plan={plan.id}", 404)
    page(client, f"/actions/items/{item.id}", 404)
    login(member)
    assert "<h1>Draft plan</h1>" in page(client, "/actions/")
    assert "Draft: not public" in page(client, f"/actions/?plan={plan.id}")
    assert "<h1>Draft item</h1>" in page(client, f"/actions/items/{item.id}")


def test_the_public_sees_a_published_plan(client, plan_of_three_years):
    p = plan_of_three_years
    html = page(client, "/actions/")
    assert "<h1>Child online safety plan</h1>" in html
    assert "Draft" not in html and "Published" not in html
    assert "<h1>Survey helplines</h1>" in page(client, f"/actions/items/{p['survey'].id}")


def test_owners_are_named_in_public_only_with_their_consent(client, login,
                                                           plan_of_three_years):
    p = plan_of_three_years
    html = page(client, f"/actions/?plan={p['plan'].id}")
    cells = board_cells(html)
    assert cells["Write a parents' guide"]["FY16"] == "In progress a member"
    assert cells["Survey helplines"]["FY16"] == "Done Nora Named"
    assert cells["Regional meetings"]["FY17"] == "Blocked Child Helpline International"
    assert "Hugo Hidden" not in html
    assert f"member-{p['hidden'].id}" not in html  # not even among the owner filter's choices
    # Asking for the hidden owner by address does not single out their items either.
    html = page(client, f"/actions/?plan={p['plan'].id}&owner=member-{p['hidden'].id}")
    assert len(board_cells(html)) == 4
    item_page = page(client, f"/actions/items/{p['guide'].id}")
    assert "Hugo Hidden" not in item_page and "a member" in item_page
    signed_in(login, p["named"])
    assert "Hugo Hidden" in page(client, f"/actions/?plan={p['plan'].id}")
    assert "Hugo Hidden" in page(client, f"/actions/items/{p['guide'].id}")


def test_a_member_who_is_not_listed_is_not_named_even_with_show_name(client, app):
    plan = make_plan()
    unlisted = make_member(name="Una Unlisted", listed_publicly=False, show_name=True)
    make_item(plan, owners=(unlisted,), title="Quiet item")
    services.set_published(SYSTEM, plan, True)
    db.session.commit()
    html = page(client, f"/actions/?plan={plan.id}")
    assert "Una Unlisted" not in html
    assert board_cells(html)["Quiet item"]["FY16"] == "Planned a member"


def test_an_unknown_or_malformed_plan_is_not_found(client, plan_of_three_years):
    page(client, "/actions/?plan=999999", 404)
    page(client, "/actions/?plan=abc", 404)
    page(client, "/actions/items/999999", 404)


def test_an_archived_plan_is_only_for_focal_contacts(client, login, member, focal):
    plan = make_plan(title="Old plan")
    item = make_item(plan)
    plan.is_archived = True
    db.session.commit()
    login(member)
    page(client, f"/actions/?plan={plan.id}", 404)
    page(client, f"/actions/items/{item.id}", 404)
    assert "There is no action plan yet." in page(client, "/actions/")
    client.post("/logout")
    login(focal)
    assert "<h1>Old plan</h1>" in page(client, f"/actions/?plan={plan.id}")


def test_the_empty_board_invites_the_focal_contact_to_start(client, login, focal):
    login(focal)
    html = page(client, "/actions/")
    assert "There is no action plan yet." in html
    assert 'href="/actions/plans/new"' in html


# --- the item page --------------------------------------------------------------------

def test_the_item_page_shows_each_year_and_the_history_carried_over(client, login,
                                                                    plan_of_three_years):
    p = plan_of_three_years
    guide = p["guide"]
    services.update_item(SYSTEM, guide, services.ItemInput(
        title=guide.title, description="A short guide for parents.\nIn four languages.",
        objective_id=guide.objective_id, years=[2016]))
    services.carry_over(SYSTEM, guide.year(2016))
    db.session.commit()
    signed_in(login, p["hidden"])
    html = page(client, f"/actions/items/{guide.id}")
    assert "<h1>Write a parents&#39; guide</h1>" in html
    assert "A safer online environment" in html and "A short guide for parents." in html
    fy16, fy17 = history_tables(html)
    assert fy16 == [["FY16", "Planned → In progress", "command: tests", "Now in_progress."]]
    # FY17's history: FY16's change carried along, then the carrying over itself.
    assert fy17 == fy16 + [["FY17", "In progress", "command: tests",
                            "Carried over from FY16."]]
    assert "from FY16, with its history" in html
    # The owner may update both years; the focal contact's tools are not shown to them.
    assert f'href="/actions/items/{guide.id}/years/2016/status"' in html
    assert f'href="/actions/items/{guide.id}/years/2017/status"' in html
    assert "/owners" not in html and "carry-over" not in html


def test_the_public_sees_what_changed_but_not_who(client, plan_of_three_years):
    p = plan_of_three_years
    html = page(client, f"/actions/items/{p['guide'].id}")
    assert "Planned → In progress" in html and "Now in_progress." in html
    head = tables(html)["history-table"][0]
    assert head == ["When", "Year", "Change", "Note"]
    assert "command: tests" not in html and "Update status" not in html


def test_members_see_who_made_each_change(client, login, plan_of_three_years):
    p = plan_of_three_years
    row = p["survey"].year(2017)
    services.change_status(members.login_of(p["named"]), row, "in_progress",
                           "Questionnaire sent.", row.version)
    db.session.commit()
    signed_in(login, p["hidden"])
    html = page(client, f"/actions/items/{p['survey'].id}")
    history = tables(html)["history-table"]
    assert history[0] == ["When", "Year", "Change", "By", "Note"]
    assert ["FY17", "Planned → In progress", "Nora Named", "Questionnaire sent."] in \
        [row[1:] for row in history]
    assert "@example.org" not in html  # people by name, never by address
    # Not this member's item: no way to update it.
    assert "Update status" not in html


def test_the_focal_contact_gets_owners_and_carry_over_where_they_apply(
        client, login, focal, plan_of_three_years):
    p = plan_of_three_years
    services.close_year(SYSTEM, p["plan"], 2016)
    db.session.commit()
    login(focal)
    survey = page(client, f"/actions/items/{p['survey'].id}")
    # FY16 is closed: no update, no owners; FY17 is open and unfinished but FY18 is free.
    assert f"/actions/items/{p['survey'].id}/years/2016/status" not in survey
    assert f"/actions/items/{p['survey'].id}/years/2016/owners" not in survey
    assert f'href="/actions/items/{p["survey"].id}/years/2017/status"' in survey
    assert f'href="/actions/items/{p["survey"].id}/years/2017/owners"' in survey
    assert f'action="/actions/items/{p["survey"].id}/years/2017/carry-over"' in survey
    assert "Carry over to FY18" in survey
    assert "This fiscal year is closed" in survey
    # The last year of the plan cannot be carried over; a blocked FY17 row already
    # followed by FY18 neither.
    meetings = page(client, f"/actions/items/{p['meetings'].id}")
    assert "carry-over" not in meetings
    assert f'href="/actions/items/{p["meetings"].id}/edit"' in meetings


def test_an_archived_item_is_only_for_focal_contacts(client, login, member, focal,
                                                     plan_of_three_years):
    item = plan_of_three_years["toolkit"]
    item.is_archived = True
    db.session.commit()
    page(client, f"/actions/items/{item.id}", 404)
    assert "Share a toolkit" not in page(client, "/actions/")
    login(member)
    page(client, f"/actions/items/{item.id}", 404)
    client.post("/logout")
    login(focal)
    assert "This item is archived" in page(client, f"/actions/items/{item.id}")


def test_the_board_only_answers_get(client):
    assert client.post("/actions/").status_code == 405
    assert client.post("/actions/items/1").status_code == 405


@pytest.mark.parametrize("status", list(ItemStatus))
def test_the_badge_says_the_status_in_words(app, status):
    from flask import render_template_string

    with app.test_request_context():
        html = render_template_string('{% include "actions/_badge.html" %}',
                                      status=status.value)
    assert f">{status.label}</span>" in html
    assert f"status-{status.value}" in html
