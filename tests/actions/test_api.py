"""The action plan in the JSON API: reading a plan (as each audience may), and changing an
item-year's status with the web's rules, refusals and conflict detection."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from coalition.actions import services
from coalition.actions.models import ItemYear, StatusUpdate
from coalition.api import services as api_services
from coalition.extensions import db
from coalition.members import services as members
from tests.factories import (
    SYSTEM,
    make_item,
    make_member,
    make_organization,
    make_plan,
)


@pytest.fixture
def owner(app):
    member = make_member(login=True, name="Olga Owner")
    return member, members.login_of(member)


@pytest.fixture
def secret(db, focal) -> str:
    _, value = api_services.create_token(focal, name="Tests")
    db.session.commit()
    return value


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def status_url(row: ItemYear, fy: str | None = None) -> str:
    return f"/api/v1/action-items/{row.item_id}/years/{fy or row.label}/status"


def post_json(client, url: str, body, **headers):
    """A session caller's write: JSON with the CSRF token in its header."""
    headers.setdefault("X-CSRFToken", client.csrf_token())
    return client.post(url, json=body, headers=headers, csrf=False)


def history(row_id: int) -> list[tuple[str | None, str, str | None]]:
    return [(u.from_status, u.to_status, u.note) for u in db.session.scalars(
        select(StatusUpdate).where(StatusUpdate.item_year_id == row_id)
        .order_by(StatusUpdate.id))]


def error(response) -> dict:
    return response.get_json()["error"]


# --- reading a plan -------------------------------------------------------------------

@pytest.fixture
def published(app):
    """A published FY16–FY17 plan: an item owned by a named member and an organization,
    another owned by a member who did not agree to be named in public; FY16 closed."""
    organization = make_organization(name="Child Safety Network", acronym="CSN")
    named = make_member(name="Ama Mensah", listed_publicly=True, show_name=True)
    hidden = make_member(name="Hidden Hana", listed_publicly=True, show_name=False)
    plan = make_plan(2016, 2017, title="Child online safety plan",
                     description="What the coalition does in FY16 and FY17.")
    first = make_item(plan, title="Exchange best practices", years=(2016, 2017),
                      owners=(named,), organizations=(organization,))
    second = make_item(plan, title="Map national hotlines", years=(2017,), owners=(hidden,))
    services.change_status(SYSTEM, first.years[0], "done", "Report published.", 1)
    services.update_tracking(SYSTEM, first.years[1], date(2017, 6, 30))
    services.close_year(SYSTEM, plan, 2016)
    services.set_published(SYSTEM, plan, True)
    db.session.commit()
    return plan, first, second, named, hidden, organization


def test_the_public_reads_a_published_plan_with_owners_as_consented(client, published):
    plan, first, second, named, hidden, organization = published
    response = client.get(f"/api/v1/action-plans/{plan.id}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_json()
    assert body["plan"] | {"url": None} == {
        "id": plan.id, "title": "Child online safety plan",
        "description": "What the coalition does in FY16 and FY17.",
        "fiscal_years": ["FY16", "FY17"], "closed_years": ["FY16"], "published": True,
        "url": None}
    objective = plan.objectives[0]
    assert body["objectives"] == [{"id": objective.id, "title": objective.title,
                                   "position": objective.position}]
    items = {item["title"]: item for item in body["items"]}
    assert list(items) == ["Exchange best practices", "Map national hotlines"]
    exchange = items["Exchange best practices"]
    assert exchange["objective_id"] == plan.objectives[0].id
    assert list(exchange["years"]) == ["FY16", "FY17"]
    fy16 = exchange["years"]["FY16"]
    assert (fy16["status"], fy16["status_label"], fy16["progress_note"], fy16["version"]) == (
        "done", "Done", "Report published.", 2)
    assert fy16["owners"] == [
        {"kind": "member", "id": named.id, "name": "Ama Mensah"},
        {"kind": "organization", "id": organization.id, "name": "Child Safety Network (CSN)"}]
    assert exchange["years"]["FY17"]["due_on"] == "2017-06-30"
    assert fy16["updated_at"].endswith("Z")
    hotlines = items["Map national hotlines"]["years"]["FY17"]
    assert hotlines["owners"] == [{"kind": "member", "id": None, "name": None}]
    assert "Hidden Hana" not in response.get_data(as_text=True)


def test_signed_in_callers_see_every_owner_by_name(client, login, published, owner):
    plan, *_ = published
    _, user = owner
    login(user)
    body = client.get(f"/api/v1/action-plans/{plan.id}").get_json()
    hotlines = next(i for i in body["items"] if i["title"] == "Map national hotlines")
    assert hotlines["years"]["FY17"]["owners"][0]["name"] == "Hidden Hana"


def test_an_unpublished_plan_is_404_to_the_public(client, secret):
    plan = make_plan(title="Draft plan")
    response = client.get(f"/api/v1/action-plans/{plan.id}")
    assert response.status_code == 404 and error(response)["code"] == "not_found"
    assert client.get(f"/api/v1/action-plans/{plan.id + 50}",
                      headers=bearer(secret)).status_code == 404
    response = client.get(f"/api/v1/action-plans/{plan.id}", headers=bearer(secret))
    assert response.status_code == 200 and response.get_json()["plan"]["published"] is False
    response = client.get(f"/api/v1/action-plans/{plan.id}?items=all", headers=bearer(secret))
    assert response.status_code == 422 and error(response)["parameter"] == "items"


# --- changing a status ----------------------------------------------------------------

def test_an_owner_changes_their_item_by_session(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = post_json(client, status_url(row), {
        "status": "in_progress", "note": "Survey sent.", "version": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["item_id"], body["fiscal_year"], body["status"], body["status_label"],
            body["progress_note"], body["version"]) == (
        row.item_id, "FY16", "in_progress", "In progress", "Survey sent.", 2)
    assert body["owners"] == [{"kind": "member", "id": member.id, "name": "Olga Owner"}]
    assert history(row.id) == [("planned", "in_progress", "Survey sent.")]


def test_the_year_may_be_given_as_four_digits(client, secret):
    row = make_item(years=(2016,)).years[0]
    response = client.post(status_url(row, "2016"), json={"status": "done", "version": 1},
                           headers=bearer(secret), csrf=False)
    assert response.status_code == 200 and response.get_json()["status"] == "done"


def test_a_session_write_needs_the_csrf_token(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = client.post(status_url(row), json={"status": "done", "version": 1},
                           csrf=False)
    assert response.status_code == 400 and error(response)["code"] == "bad_request"
    assert history(row.id) == []


def test_a_token_caller_needs_no_csrf_token(client, secret):
    row = make_item().years[0]
    response = client.post(status_url(row), json={"status": "dropped", "note": "No funding.",
                                                  "version": 1},
                           headers=bearer(secret), csrf=False)
    assert response.status_code == 200 and response.get_json()["status"] == "dropped"


def test_nobody_signed_in_gets_401(client, app):
    row = make_item().years[0]
    response = client.post(status_url(row), json={"status": "done", "version": 1},
                           csrf=False)
    assert response.status_code == 401 and error(response)["code"] == "unauthorized"
    assert history(row.id) == []


def test_someone_elses_item_is_403(client, login, owner):
    _, user = owner
    row = make_item(owners=(make_member(),)).years[0]
    login(user)
    response = post_json(client, status_url(row), {"status": "done", "version": 1})
    assert response.status_code == 403 and error(response)["code"] == "forbidden"
    assert history(row.id) == []


def test_unknown_items_and_years_are_404(client, secret):
    item = make_item(years=(2016, 2017))
    for url in (f"/api/v1/action-items/{item.id + 10}/years/FY16/status",
                f"/api/v1/action-items/{item.id}/years/FY18/status",
                f"/api/v1/action-items/{item.id}/years/next-year/status"):
        response = client.post(url, json={"status": "done", "version": 1},
                               headers=bearer(secret), csrf=False)
        assert response.status_code == 404, url
    assert "runs in FY16, FY17" in error(client.post(
        f"/api/v1/action-items/{item.id}/years/FY18/status", json={},
        headers=bearer(secret), csrf=False))["message"]


@pytest.mark.parametrize(("body", "parameter", "message"), [
    ({"status": "blocked", "version": 1}, "note", "Say why the item is blocked"),
    ({"status": "finished", "version": 1}, "status", "Choose a status from the list"),
    ({"status": "done"}, "version", "version"),
    ({"status": "done", "version": "1"}, "version", "version"),
    ({"version": 1}, "status", "status"),
    ({"status": "done", "version": 1, "due_on": "2016-01-01"}, "due_on", "not a field"),
])
def test_bad_input_is_422_and_changes_nothing(client, login, owner, body, parameter,
                                              message):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = post_json(client, status_url(row), body)
    assert response.status_code == 422
    assert error(response)["parameter"] == parameter
    assert message in error(response)["message"]
    assert history(row.id) == []


def test_a_member_may_not_drop_an_item(client, login, owner):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    login(user)
    response = post_json(client, status_url(row), {"status": "dropped", "note": "x",
                                                   "version": 1})
    assert response.status_code == 422
    assert error(response)["message"] == "Only a focal contact can drop an item."


def test_a_body_that_is_not_json_is_400(client, secret):
    row = make_item().years[0]
    response = client.post(status_url(row), data="status=done", headers={
        **bearer(secret), "Content-Type": "application/x-www-form-urlencoded"}, csrf=False)
    assert response.status_code == 400 and "JSON object" in error(response)["message"]


def test_a_stale_version_is_409_with_the_other_change(client, login, owner, focal):
    member, user = owner
    row = make_item(owners=(member,)).years[0]
    services.change_status(focal, row, "in_progress", "The secretariat started.", 1)
    db.session.commit()
    login(user)
    response = post_json(client, status_url(row), {"status": "done", "note": "Finished.",
                                                   "version": 1})
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "conflict" and "nothing was saved" in body["message"]
    current = body["current"]
    assert (current["status"], current["version"]) == ("in_progress", 2)
    latest = current["latest_update"]
    assert (latest["by"], latest["from_status"], latest["to_status"], latest["note"]) == (
        "Fatima Focal", "planned", "in_progress", "The secretariat started.")
    assert latest["at"].endswith("Z")
    assert history(row.id) == [("planned", "in_progress", "The secretariat started.")]
    # With the version it now knows, the caller's change goes through.
    response = post_json(client, status_url(row), {"status": "done", "note": "Finished.",
                                                   "version": 2})
    assert response.status_code == 200 and response.get_json()["version"] == 3


def test_a_closed_year_is_422(client, secret):
    item = make_item()
    services.close_year(SYSTEM, item.plan, 2016)
    db.session.commit()
    response = client.post(status_url(item.years[0]), json={"status": "done", "version": 1},
                           headers=bearer(secret), csrf=False)
    assert response.status_code == 422 and "FY16 is closed" in error(response)["message"]
