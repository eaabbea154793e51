"""The focal contact's action-plan pages: creating and editing plans, objectives and items,
owners (told by e-mail), carrying over, closing a year, publishing; and who is refused."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from coalition.actions import queries, services
from coalition.actions.models import ActionItem, ActionPlan, Objective
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.members import services as members
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def focal_client(client, focal, login):
    login(focal)
    return client


@pytest.fixture
def owner(app):
    return make_member(name="Olga Owner", email="olga@example.org", login=True)


# --- plans ----------------------------------------------------------------------------

def test_a_plan_is_created_from_fiscal_year_labels_or_years(focal_client):
    page = text_of(focal_client.get("/actions/plans/new"))
    assert "For example FY16 (or 2016)." in page
    response = focal_client.post("/actions/plans/new", data={
        "title": "Child online safety", "description": "Our plan.", "first_year": "FY16",
        "last_year": "2018"})
    plan = db.session.scalar(select(ActionPlan))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/actions/plans/{plan.id}/edit"
    assert (plan.first_year, plan.last_year, plan.is_published) == (2016, 2018, False)
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "was created for FY16–FY18" in page
    assert "Not published" in page
    assert [f"Close FY{n}" for n in (16, 17, 18)] == re.findall(r"Close FY\d\d", page)


@pytest.mark.parametrize(("first", "last", "message"), [
    ("FY18", "FY16", "The last fiscal year comes after the first."),
    ("FY16", "next year", "“next year” is not a fiscal year: write it as FY16 or 2016."),
    ("", "FY17", "Give the first fiscal year."),
    ("2000", "2020", "A plan covers at most 15 fiscal years."),
])
def test_bad_years_are_explained_and_nothing_is_created(focal_client, first, last, message):
    response = focal_client.post("/actions/plans/new", data={
        "title": "Backwards", "first_year": first, "last_year": last})
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(ActionPlan) == 0


def test_editing_a_plan_keeps_the_years_its_items_run_in(focal_client):
    plan = make_plan(2016, 2018)
    make_item(plan, years=(2017,))
    url = f"/actions/plans/{plan.id}/edit"
    page = text_of(focal_client.get(url))
    assert 'value="FY16"' in page and 'value="FY18"' in page
    response = focal_client.post(url, data={"title": "Renamed", "first_year": "FY18",
                                            "last_year": "FY19"})
    assert response.status_code == 400
    assert "Items run from FY17 to FY17: the plan must cover those years." in \
        text_of(response)
    db.session.refresh(plan)
    assert (plan.title, plan.first_year, plan.last_year) != ("Renamed", 2018, 2019)
    response = focal_client.post(url, data={"title": "Renamed", "first_year": "16",
                                            "last_year": "FY19"})
    assert response.status_code == 302
    db.session.refresh(plan)
    assert (plan.title, plan.first_year, plan.last_year) == ("Renamed", 2016, 2019)


def test_publishing_shows_the_plan_to_the_public(focal_client, app):
    plan = make_plan(title="Our public plan")
    assert plan not in queries.visible_plans(None)
    response = focal_client.post(f"/actions/plans/{plan.id}/publish", data={"published": "1"})
    assert response.status_code == 302
    assert "is published: everyone" in text_of(focal_client.get(response.headers["Location"]))
    assert [p.id for p in queries.visible_plans(None)] == [plan.id]
    board = app.test_client().get("/actions/")
    if board.status_code == 200:  # the board, once it exists, shows it to anonymous
        assert "Our public plan" in text_of(board)
    focal_client.post(f"/actions/plans/{plan.id}/publish", data={"published": "0"})
    assert queries.visible_plans(None) == []
    assert focal_client.post(f"/actions/plans/{plan.id}/publish",
                             data={"published": "yes"}).status_code == 400


# --- objectives and items -------------------------------------------------------------

def test_objectives_and_items_are_added_and_listed_on_the_plan_page(focal_client):
    plan = services.create_plan(SYSTEM, services.PlanInput(title="P", first_year=2016,
                                                            last_year=2018))
    db.session.commit()
    assert "No objectives or items yet." in text_of(
        focal_client.get(f"/actions/plans/{plan.id}/edit"))
    response = focal_client.post(f"/actions/plans/{plan.id}/objectives/new",
                                 data={"title": "Ensure a safer online environment"})
    assert response.status_code == 302
    objective = db.session.scalar(select(Objective))
    assert response.headers["Location"].endswith(f"#objective-{objective.id}")
    response = focal_client.post(f"/actions/plans/{plan.id}/items/new", data={
        "title": "Exchange best practices", "objective_id": str(objective.id),
        "years": ["2016", "2017"]})
    assert response.status_code == 302
    item = db.session.scalar(select(ActionItem))
    assert (item.objective_id, [row.label for row in item.years]) == (
        objective.id, ["FY16", "FY17"])
    page = text_of(focal_client.get(f"/actions/plans/{plan.id}/edit"))
    assert "added for FY16, FY17. Choose its owners next." in page
    assert "Objective 1:</span> Ensure a safer online environment" in page
    assert f'href="/actions/items/{item.id}/years/2017/owners"' in page
    assert "Owners: nobody yet" in page and "Planned" in page

    response = focal_client.post(f"/actions/objectives/{objective.id}/edit",
                                 data={"title": "", "description": "x"})
    assert response.status_code == 400 and "Give the objective a title." in text_of(response)
    response = focal_client.post(f"/actions/plans/{plan.id}/items/new",
                                 data={"title": "No years", "objective_id": ""})
    assert response.status_code == 400
    assert "Choose at least one fiscal year." in text_of(response)
    assert count(ActionItem) == 1


def test_an_objective_of_another_plan_is_refused(focal_client):
    plan, other = make_plan(), make_plan()
    response = focal_client.post(f"/actions/plans/{plan.id}/items/new", data={
        "title": "X", "objective_id": str(other.objectives[0].id), "years": "2016"})
    assert response.status_code == 400
    assert "Choose an objective of this plan." in text_of(response)


def test_editing_an_item_keeps_its_closed_year(focal_client):
    plan = make_plan(2016, 2018)
    item = make_item(plan, years=(2016,))
    services.close_year(SYSTEM, plan, 2016)
    db.session.commit()
    page = text_of(focal_client.get(f"/actions/items/{item.id}/edit"))
    assert re.search(r'<input checked disabled id="years-0"[^>]*value="2016"', page)
    assert "(closed: it stays)" in page
    response = focal_client.post(f"/actions/items/{item.id}/edit", data={
        "title": "Renamed", "objective_id": "", "years": ["2017"]})
    assert response.status_code == 302
    db.session.refresh(item)
    assert (item.title, item.objective_id, [row.year for row in item.years]) == (
        "Renamed", None, [2016, 2017])


# --- owners ---------------------------------------------------------------------------

def test_new_owners_are_told_by_email(focal_client, owner, outbox):
    helpline = make_organization(name="Child Helpline International")
    make_member(name="Aaron Early")
    make_member(name="Lapsed Larry", status="lapsed")
    item = make_item(make_plan(), years=(2016,), title="Map national helplines")
    url = f"/actions/items/{item.id}/years/2016/owners"
    page = text_of(focal_client.get(url))
    assert re.search(r'<select[^>]*multiple[^>]*size="\d+"', page)
    offered = re.findall(r'<option value="\d+">([^<]+)</option>', page)
    assert offered.index("Aaron Early") < offered.index("Olga Owner")
    assert "Lapsed Larry" not in page
    response = focal_client.post(url, data={
        "members": [str(owner.id)], "organizations": [str(helpline.id)],
        "due_on": "2016-11-30", "version": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#item-{item.id}")
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "1 person was told by e-mail." in page
    assert "Owners: Olga Owner, Child Helpline International" in page
    [message] = outbox()
    assert message["To"].addresses[0].addr_spec == "olga@example.org"
    assert "Map national helplines" in message["Subject"]
    assert "Map national helplines" in message.get_body().get_content()
    row = item.year(2016)
    db.session.refresh(row)
    assert row.due_on == date(2016, 11, 30)


def test_owners_form_errors_change_nothing(focal_client, owner, outbox):
    item = make_item(years=(2016,))
    url = f"/actions/items/{item.id}/years/2016/owners"
    response = focal_client.post(url, data={"members": [str(owner.id)],
                                            "due_on": "30/11/2016", "version": "1"})
    assert response.status_code == 400
    assert "Write the date as YYYY-MM-DD" in text_of(response)
    lapsed = make_member(name="Lapsed Larry", status="lapsed")
    response = focal_client.post(url, data={"members": [str(lapsed.id)], "version": "1"})
    assert response.status_code == 400
    assert "Owners must be active members." in text_of(response)
    db.session.refresh(item.year(2016))
    assert item.year(2016).owners == [] and outbox() == []


def test_a_stale_owners_form_is_a_conflict(focal_client, owner):
    item = make_item(years=(2016,))
    row = item.year(2016)
    services.update_tracking(SYSTEM, row, date(2016, 6, 1))
    db.session.commit()
    response = focal_client.post(f"/actions/items/{item.id}/years/2016/owners", data={
        "members": [str(owner.id)], "due_on": "2016-12-31", "version": "1"})
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else changed this item while you were editing it." in page
    assert 'value="2016-06-01"' in page
    db.session.refresh(row)
    assert row.due_on == date(2016, 6, 1) and row.owners == []


# --- carrying over and closing --------------------------------------------------------

def test_an_unfinished_item_is_carried_over_with_its_owners(focal_client, owner):
    plan = make_plan(2016, 2018)
    item = make_item(plan, years=(2016,), owners=(owner,), title="Exchange practices")
    services.change_status(SYSTEM, item.year(2016), "in_progress", "Half done.", None)
    db.session.commit()
    page = text_of(focal_client.get(f"/actions/plans/{plan.id}/edit"))
    assert "Carry over to FY17" in page
    response = focal_client.post(f"/actions/items/{item.id}/years/2016/carry-over")
    assert response.status_code == 302
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "“Exchange practices” now continues in FY17" in page
    assert "Carry over to FY17" not in page and "Carry over to FY18" in page
    db.session.refresh(item)
    carried = item.year(2017)
    assert carried.status == "in_progress"
    assert [o.member_id for o in carried.owners] == [owner.id]
    assert [u.to_status for u in queries.history(carried)] == ["in_progress", "in_progress"]


def test_a_finished_item_is_not_carried_over(focal_client):
    item = make_item(years=(2016,), title="Done already")
    services.change_status(SYSTEM, item.year(2016), "done", None, None)
    db.session.commit()
    response = focal_client.post(f"/actions/items/{item.id}/years/2016/carry-over")
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "“Done already” was not carried over: Only an unfinished item is carried " \
           "over; this one is done." in page
    db.session.refresh(item)
    assert [row.year for row in item.years] == [2016]


def test_closing_a_year_freezes_it(focal_client, focal, owner):
    plan = make_plan(2016, 2017)
    item = make_item(plan, years=(2016,), owners=(owner,))
    page = text_of(focal_client.get(f"/actions/plans/{plan.id}/edit"))
    assert "Closing cannot be undone." in page
    response = focal_client.post(f"/actions/plans/{plan.id}/years/2016/close")
    assert response.headers["Location"].endswith("#years-heading")
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "FY16 is closed: its statuses stay as they stood" in page
    assert "Close FY16" not in page and "Close FY17" in page
    assert re.search(r"Closed</span>\s*<span>on <time[^>]*>[^<]+</time>\s*"
                     r"by focal@example.org", page)
    db.session.expire_all()  # the test's objects were loaded before the request closed it
    with pytest.raises(ValidationError, match="FY16 is closed"):
        services.change_status(members.login_of(owner), item.year(2016), "done", None, None)
    db.session.rollback()
    owners_url = f"/actions/items/{item.id}/years/2016/owners"
    page = text_of(focal_client.get(owners_url))
    assert "FY16 is closed: its owners, due date and status" in page
    assert "<select" not in page
    response = focal_client.post(owners_url, data={"members": [], "version": "1"})
    assert response.status_code == 400 and "FY16 is closed." in text_of(response)
    response = focal_client.post(f"/actions/plans/{plan.id}/years/2016/close")
    assert "FY16 was not closed: FY16 is already closed." in text_of(
        focal_client.get(response.headers["Location"]))
    db.session.refresh(item.year(2016))
    assert [o.member_id for o in item.year(2016).owners] == [owner.id]


# --- who may -------------------------------------------------------------------------

def manage_urls(plan: ActionPlan, item: ActionItem) -> list[tuple[str, str]]:
    p, i, o = plan.id, item.id, plan.objectives[0].id
    pages = ["/actions/plans/new", f"/actions/plans/{p}/edit",
             f"/actions/plans/{p}/objectives/new", f"/actions/objectives/{o}/edit",
             f"/actions/plans/{p}/items/new", f"/actions/items/{i}/edit",
             f"/actions/items/{i}/years/2016/owners"]
    posts = [f"/actions/plans/{p}/publish", f"/actions/items/{i}/years/2016/carry-over",
             f"/actions/plans/{p}/years/2016/close"]
    return [("GET", url) for url in pages] + [("POST", url) for url in pages + posts]


def plan_state(plan: ActionPlan) -> tuple:
    db.session.expire_all()
    return (count(ActionPlan), count(Objective), count(ActionItem), plan.title,
            plan.is_published, sorted(plan.closed_years),
            [len(i.years) for i in plan.items])


def test_members_get_403_and_anonymous_the_login_page_everywhere(app, client, login):
    user = members.login_of(make_member(login=True))
    plan = make_plan()
    item = make_item(plan, years=(2016,))
    before = plan_state(plan)
    data = {"title": "Hijacked", "first_year": "FY16", "last_year": "FY18",
            "published": "1", "years": "2016", "members": str(user.member_id)}
    anonymous = app.test_client()
    for method, url in manage_urls(plan, item):
        response = anonymous.get(url) if method == "GET" else anonymous.post(url, data=data)
        assert response.status_code == 302 and \
            response.headers["Location"].startswith("/login"), (method, url)
    login(user)
    for method, url in manage_urls(plan, item):
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        assert response.status_code == 403, (method, url)
    assert plan_state(plan) == before


def test_a_post_without_the_csrf_token_is_refused(focal_client):
    plan = make_plan()
    item = make_item(plan, years=(2016,))
    before = plan_state(plan)
    for _, url in manage_urls(plan, item)[7:]:
        response = focal_client.post(url, csrf=False, data={
            "title": "Forged", "first_year": "FY16", "last_year": "FY18", "published": "1",
            "years": "2016"})
        assert response.status_code == 400, url
    assert plan_state(plan) == before


def test_unknown_things_are_404(focal_client):
    item = make_item(years=(2016,))
    for url in ("/actions/plans/999999/edit", "/actions/plans/999999/objectives/new",
                "/actions/objectives/999999/edit", "/actions/plans/999999/items/new",
                "/actions/items/999999/edit", "/actions/items/999999/years/2016/owners",
                f"/actions/items/{item.id}/years/2017/owners"):
        assert focal_client.get(url).status_code == 404, url
    for url in (f"/actions/items/{item.id}/years/2017/carry-over",
                "/actions/plans/999999/publish", "/actions/plans/999999/years/2016/close"):
        assert focal_client.post(url, data={"published": "1"}).status_code == 404, url
