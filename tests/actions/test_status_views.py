"""The owners' pages: "My items" and the status form, with its rules (only the allowed
statuses, notes when needed), its refusals, and the conflict message."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from coalition.actions import services
from coalition.actions.models import ItemYear, StatusUpdate
from coalition.extensions import db
from coalition.members import services as members
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan


@pytest.fixture
def owner(app):
    """An active member with a login, and that login."""
    member = make_member(login=True, name="Olga Owner")
    return member, members.login_of(member)


def status_url(row: ItemYear) -> str:
    return f"/actions/items/{row.item_id}/years/{row.year}/status"


def offered(html: str) -> list[str]:
    return re.findall(r'name="status"[^>]*value="([a-z_]+)"', html) or \
        re.findall(r'value="([a-z_]+)"[^>]*name="status"', html)


def checked(html: str) -> list[str]:
    return [value for value in offered(html)
            if re.search(rf'<input[^>]*checked[^>]*value="{value}"|<input[^>]*value="{value}"'
                         rf'[^>]*checked', html)]


def hidden_version(html: str) -> str:
    match = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"|'
                      r'<input[^>]*value="(\d+)"[^>]*name="version"', html)
    assert match, "the form has no version field"
    return match.group(1) or match.group(2)


def history(row_id: int) -> list[tuple[str | None, str, str | None]]:
    return [(u.from_status, u.to_status, u.note) for u in db.session.scalars(
        select(StatusUpdate).where(StatusUpdate.item_year_id == row_id)
        .order_by(StatusUpdate.id))]


def current(row_id: int) -> ItemYear:
    db.session.expire_all()
    return db.session.get(ItemYear, row_id)


# --- updating one's own item ----------------------------------------------------------

def test_an_owner_updates_their_item_and_the_item_page_and_board_show_it(
        client, login, owner):
    member, user = owner
    plan = make_plan(title="Child online safety plan")
    item = make_item(plan, title="Exchange best practices", owners=(member,))
    row = item.years[0]
    login(user)
    page = client.get(status_url(row)).get_data(as_text=True)
    assert "Exchange best practices" in page and "FY16" in page
    assert hidden_version(page) == "1" and checked(page) == ["planned"]

    response = client.post(status_url(row), data={
        "status": "in_progress", "note": "Survey of helplines sent to 40 countries.",
        "version": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/actions/items/{item.id}")
    assert history(row.id) == [("planned", "in_progress",
                                "Survey of helplines sent to 40 countries.")]
    assert current(row.id).status == "in_progress"

    item_page = client.get(f"/actions/items/{item.id}").get_data(as_text=True)
    assert "“Exchange best practices” (FY16) is now in progress." in item_page
    assert "Survey of helplines sent to 40 countries." in item_page
    assert "In progress" in item_page
    board = client.get(f"/actions/?plan={plan.id}").get_data(as_text=True)
    cell = board[board.index("Exchange best practices"):]
    assert "In progress" in cell


def test_a_note_alone_can_be_added(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = client.post(status_url(row), data={
        "status": "planned", "note": "Waiting for the funding decision.", "version": "1"},
        follow_redirects=True)
    assert "Your note on" in response.get_data(as_text=True)
    assert current(row.id).progress_note == "Waiting for the funding decision."


def test_only_the_allowed_statuses_are_offered(client, login, owner, focal):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    page = client.get(status_url(row)).get_data(as_text=True)
    assert offered(page) == ["planned", "in_progress", "done", "blocked"]
    assert "Blocked (needs a note)" in page
    assert "A note saying why is needed to move it to blocked" in page
    # A forged choice gets the rule, not a silent refusal.
    response = client.post(status_url(row), data={"status": "dropped", "note": "x",
                                                  "version": "1"})
    assert response.status_code == 400
    assert "Only a focal contact can drop an item." in response.get_data(as_text=True)
    assert history(row.id) == []

    client.post("/logout")
    login(focal)
    assert "dropped" in offered(client.get(status_url(row)).get_data(as_text=True))


def test_a_missing_note_is_asked_for_and_nothing_changes(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = client.post(status_url(row), data={"status": "blocked", "note": " ",
                                                  "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Say why the item is blocked: a note is needed." in page
    assert 'aria-invalid="true"' in page
    assert checked(page) == ["blocked"]  # the choice stays
    assert history(row.id) == [] and current(row.id).status == "planned"


def test_no_status_chosen(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = client.post(status_url(row), data={"note": "Hello", "version": "1"})
    assert response.status_code == 400
    assert "Choose a status." in response.get_data(as_text=True)


def test_without_the_csrf_token_nothing_changes(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = client.post(status_url(row), data={"status": "done", "version": "1"},
                           csrf=False)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert history(row.id) == [] and current(row.id).status == "planned"


def test_a_member_who_owns_through_their_organization_may_update(client, login):
    organization = make_organization(name="Child Helpline International")
    member = make_member(login=True, organization_id=organization.id)
    row = make_item(organizations=(organization,)).years[0]
    login(members.login_of(member))
    response = client.post(status_url(row), data={"status": "done", "version": "1"})
    assert response.status_code == 302 and current(row.id).status == "done"


# --- refusals -------------------------------------------------------------------------

def test_someone_elses_item_is_refused(client, login, owner):
    _, user = owner
    row = make_item(owners=(make_member(name="Somebody Else"),)).years[0]
    login(user)
    assert client.get(status_url(row)).status_code == 403
    response = client.post(status_url(row), data={"status": "done", "version": "1"})
    assert response.status_code == 403
    assert "owners and the focal contacts can update it" in response.get_data(as_text=True)
    assert history(row.id) == [] and current(row.id).status == "planned"


def test_anonymous_visitors_are_sent_to_sign_in(client, app):
    row = make_item().years[0]
    for response in (client.get(status_url(row)),
                     client.post(status_url(row), data={"status": "done", "version": "1"}),
                     client.get("/actions/mine")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert history(row.id) == []


def test_an_unknown_item_or_year_is_404(client, login, focal):
    item = make_item(years=(2016,))
    login(focal)
    assert client.get(f"/actions/items/{item.id}/years/2017/status").status_code == 404
    assert client.get(f"/actions/items/{item.id + 100}/years/2016/status").status_code == 404


def test_a_closed_year_shows_no_form(client, login, owner):
    member, user = owner
    item = make_item(owners=(member,))
    row = item.years[0]
    services.close_year(SYSTEM, item.plan, 2016)
    db.session.commit()
    login(user)
    page = client.get(status_url(row)).get_data(as_text=True)
    assert "FY16 is closed" in page and 'name="status"' not in page
    response = client.post(status_url(row), data={"status": "done", "version": "1"})
    assert response.status_code == 400 and history(row.id) == []


def test_a_dropped_item_is_for_the_focal_contact_to_reopen(client, login, owner, focal):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    services.change_status(focal, row, "dropped", "No funding.", 1)
    db.session.commit()
    login(user)
    page = client.get(status_url(row)).get_data(as_text=True)
    assert "only a focal contact can re-open a dropped item" in page
    assert 'name="status"' not in page


# --- the conflict ---------------------------------------------------------------------

def test_a_change_saved_meanwhile_is_shown_and_not_overwritten(client, login, owner, focal):
    member, user = owner
    row = make_item(owners=(member,), title="Exchange best practices").years[0]
    login(user)
    page = client.get(status_url(row)).get_data(as_text=True)
    assert hidden_version(page) == "1"

    # Meanwhile the focal contact saves a change.
    services.change_status(focal, db.session.get(ItemYear, row.id), "in_progress",
                           "The secretariat started the survey.", 1)
    db.session.commit()

    response = client.post(status_url(row), data={
        "status": "done", "note": "Report sent to the members.", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this item while you were editing it" in page
    assert "Nothing of yours was saved" in page
    assert "Fatima Focal" in page and "Planned → In progress" in page
    assert "The secretariat started the survey." in page
    # The person's own choice and note are kept, with the new version.
    assert checked(page) == ["done"]
    assert "Report sent to the members.</textarea>" in page
    assert hidden_version(page) == "2"
    assert history(row.id) == [("planned", "in_progress",
                                "The secretariat started the survey.")]
    assert current(row.id).status == "in_progress"

    # Having read the other change, they save again, deliberately.
    response = client.post(status_url(row), data={
        "status": "done", "note": "Report sent to the members.", "version": "2"})
    assert response.status_code == 302
    assert [step[1] for step in history(row.id)] == ["in_progress", "done"]


def test_a_conflict_when_the_choice_is_no_longer_possible(client, login, owner, focal):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    client.get(status_url(row))
    services.change_status(focal, db.session.get(ItemYear, row.id), "done", None, 1)
    db.session.commit()
    response = client.post(status_url(row), data={"status": "blocked", "note": "No data.",
                                                  "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Your choice, Blocked, is no longer possible from done" in page
    assert "No data.</textarea>" in page
    assert history(row.id) == [("planned", "done", None)]


# --- My items -------------------------------------------------------------------------

def test_my_items_lists_what_i_own_directly_and_through_my_organization(
        client, login):
    organization = make_organization(name="Child Helpline International")
    member = make_member(login=True, name="Olga Owner", organization_id=organization.id)
    plan = make_plan(2016, 2017, title="Child online safety plan")
    mine = make_item(plan, title="Run the helpline survey", years=(2016, 2017),
                     owners=(member,))
    make_item(plan, title="Map national hotlines", organizations=(organization,))
    make_item(plan, title="Item of another member", owners=(make_member(),))
    services.update_tracking(SYSTEM, mine.years[0], date(2016, 6, 30))
    services.close_year(SYSTEM, plan, 2016)
    db.session.commit()
    login(members.login_of(member))
    page = client.get("/actions/mine").get_data(as_text=True)
    assert "Run the helpline survey" in page and "Map national hotlines" in page
    assert "Item of another member" not in page
    assert "3 item-years assigned to you or to Child Helpline International" in page
    assert "Child online safety plan: FY16" in page and "Child online safety plan: FY17" in page
    assert '<time datetime="2016-06-30">30 June 2016</time>' in page
    assert "FY16 is closed" in page
    assert f'/actions/items/{mine.id}/years/2017/status' in page
    assert f'/actions/items/{mine.id}/years/2016/status' not in page
    assert page.count('class="badge status-badge status-planned"') == 3


def test_my_items_when_nothing_is_assigned(client, login, owner):
    _, user = owner
    login(user)
    page = client.get("/actions/mine").get_data(as_text=True)
    assert "No action item is assigned to you or your organization yet." in page


def test_a_focal_contact_without_a_member_record_is_told_why(client, login, focal):
    make_item(owners=(make_member(),))
    login(focal)
    page = client.get("/actions/mine").get_data(as_text=True)
    assert "not linked to an active member record" in page
    assert "As a focal contact you can update the status of every item" in page
    assert 'href="/actions/"' in page
