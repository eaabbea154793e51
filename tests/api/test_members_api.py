"""The JSON API: who may call it and how, what each caller sees of a member, the
directory's filters and pages, and the errors a client gets."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Blueprint
from sqlalchemy import select

from coalition.api import services
from coalition.api.auth import caller, install
from coalition.api.models import ApiToken
from coalition.auth import services as auth
from coalition.db import utcnow
from coalition.members import services as members
from coalition.members.visibility import FOCAL_FIELDS, MEMBER_FIELDS
from tests.factories import SYSTEM, make_member, make_organization, make_user


@pytest.fixture
def secret(db, focal) -> str:
    _, value = services.create_token(focal, name="Tests")
    db.session.commit()
    return value


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def names(response) -> list[str]:
    return [item["name"] for item in response.get_json()["items"]]


def local(url: str) -> str:
    """A `next`/`prev` link as the test client takes it."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# --- authentication -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/members", "/api/v1/members/1",
                                  "/api/v1/organizations"])
def test_the_public_gets_401_json_not_a_login_page(client, db, path):
    make_member(name="Somebody")
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "Bearer" in response.get_json()["error"]["message"]


def test_a_token_works_until_it_is_revoked(client, db, focal, secret):
    make_member(name="Ana Active")
    response = client.get("/api/v1/members", headers=bearer(secret))
    assert response.status_code == 200 and names(response) == ["Ana Active"]
    assert "no-store" in response.headers["Cache-Control"]
    token = db.session.scalars(select(ApiToken)).one()
    services.revoke_token(focal, token)
    db.session.commit()
    response = client.get("/api/v1/members", headers=bearer(secret))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_using_a_token_notes_when(client, db, secret):
    client.get("/api/v1/organizations", headers=bearer(secret))
    token = db.session.scalars(select(ApiToken)).one()
    db.session.refresh(token)
    assert token.last_used_at is not None
    assert utcnow() - token.last_used_at < timedelta(minutes=1)


@pytest.mark.parametrize("header", ["Bearer coa_wrong", "Bearer ", "Basic dXNlcjpwYXNz",
                                    "coa_no_scheme", ""])
def test_a_bad_authorization_header_never_falls_back_to_the_session(client, login, member,
                                                                     header):
    login(member)
    assert client.get("/api/v1/members").status_code == 200  # the session alone works
    response = client.get("/api/v1/members", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.get_json()


def test_a_member_signed_in_in_the_browser_may_use_the_api(client, login, member):
    make_member(name="Ana Active")
    login(member)
    response = client.get("/api/v1/members")
    assert response.status_code == 200 and names(response) == ["Ana Active"]


def test_the_token_decides_who_calls_even_with_a_session(client, login, member, secret):
    make_member(name="Ana Active", email="ana@example.org")
    login(member)
    [item] = client.get("/api/v1/members", headers=bearer(secret)).get_json()["items"]
    assert item["email"] == "ana@example.org"  # the focal contact's view, not the member's


# --- what each caller sees ------------------------------------------------------------

def test_a_focal_contact_sees_every_field_and_a_member_only_members_fields(
        client, login, member, secret):
    make_member(name="Ana Active", email="ana@example.org", title="Director",
                notes="Met in Riyadh", gender="woman")
    [full] = client.get("/api/v1/members", headers=bearer(secret)).get_json()["items"]
    assert set(full) == set(FOCAL_FIELDS)
    assert (full["email"], full["notes"], full["gender"]) == (
        "ana@example.org", "Met in Riyadh", "woman")
    login(member)
    [limited] = client.get("/api/v1/members").get_json()["items"]
    assert set(limited) == set(MEMBER_FIELDS)
    assert limited["title"] == "Director" and limited["status"] == "active"
    body = client.get("/api/v1/members").get_data(as_text=True)
    assert "ana@example.org" not in body and "Riyadh" not in body and "woman" not in body


def test_the_detail_follows_the_same_rules(client, login, member, secret):
    ana = make_member(name="Ana Active", email="ana@example.org")
    lapsed = make_member(name="Lou Lapsed", status="lapsed")
    response = client.get(f"/api/v1/members/{ana.id}", headers=bearer(secret))
    assert response.get_json()["email"] == "ana@example.org"
    assert client.get(f"/api/v1/members/{lapsed.id}",
                      headers=bearer(secret)).get_json()["status"] == "lapsed"
    login(member)
    response = client.get(f"/api/v1/members/{ana.id}")
    assert response.get_json()["name"] == "Ana Active" and "email" not in response.get_json()
    response = client.get(f"/api/v1/members/{lapsed.id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_an_unknown_member_is_a_json_404(client, secret):
    response = client.get("/api/v1/members/999999", headers=bearer(secret))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_members_see_active_members_only(client, login, member):
    make_member(name="Ana Active")
    make_member(name="Lou Lapsed", status="lapsed")
    make_member(name="Lee Left", status="left")
    login(member)
    assert names(client.get("/api/v1/members")) == ["Ana Active"]
    assert names(client.get("/api/v1/members?status=active")) == ["Ana Active"]
    response = client.get("/api/v1/members?status=lapsed")
    assert response.status_code == 422
    assert response.get_json()["error"]["parameter"] == "status"


def test_focal_contacts_filter_by_any_status(client, secret):
    make_member(name="Ana Active")
    make_member(name="Lou Lapsed", status="lapsed")
    make_member(name="Apu Applicant", status="applicant")
    assert names(client.get("/api/v1/members", headers=bearer(secret))) == ["Ana Active"]
    assert names(client.get("/api/v1/members?status=lapsed",
                            headers=bearer(secret))) == ["Lou Lapsed"]
    assert names(client.get("/api/v1/members?status=all", headers=bearer(secret))) == [
        "Ana Active", "Apu Applicant", "Lou Lapsed"]


# --- filters, sort and pages -----------------------------------------------------------

@pytest.fixture
def directory(db):
    unesco = make_organization(name="UNESCO Youth Desk", stakeholder_group="intergovernmental",
                               country="FR")
    make_member(name="Amara Diallo", email="amara@example.org", stakeholder_group="government",
                country="SN")
    make_member(name="Bruno Costa", email="bruno@costa.example", stakeholder_group="academia",
                country="BR")
    make_member(name="Chen Wei", email="chen@example.org", stakeholder_group="private_sector",
                country="CN", organization_id=unesco.id)
    make_member(name="Dana Novak", email="dana@example.org", stakeholder_group="academia",
                country="CZ")
    return unesco


@pytest.mark.parametrize("query, expected", [
    ("q=costa", ["Bruno Costa"]),  # by e-mail
    ("q=DANA", ["Dana Novak"]),  # by name, any case
    ("q=unesco", ["Chen Wei"]),  # by organization
    ("stakeholder_group=academia", ["Bruno Costa", "Dana Novak"]),
    ("region=eastern_european", ["Dana Novak"]),
    ("region=latin_american_caribbean", ["Bruno Costa"]),
    ("country=sn", ["Amara Diallo"]),
    ("country=CN", ["Chen Wei"]),
    ("stakeholder_group=academia&country=BR", ["Bruno Costa"]),
    ("sort=-name", ["Dana Novak", "Chen Wei", "Bruno Costa", "Amara Diallo"]),
    ("sort=country", ["Bruno Costa", "Chen Wei", "Dana Novak", "Amara Diallo"]),
    ("q=nobody", []),
])
def test_the_directory_filters(client, directory, secret, query, expected):
    response = client.get(f"/api/v1/members?{query}", headers=bearer(secret))
    assert response.status_code == 200, response.get_json()
    assert names(response) == expected
    assert response.get_json()["total"] == len(expected)


def test_filter_by_organization(client, directory, secret):
    response = client.get(f"/api/v1/members?organization_id={directory.id}",
                          headers=bearer(secret))
    [item] = response.get_json()["items"]
    assert item["organization"] == {"id": directory.id, "name": "UNESCO Youth Desk"}


def test_pages_follow_each_other(client, directory, secret):
    first = client.get("/api/v1/members?per_page=3&stakeholder_group=&sort=name",
                       headers=bearer(secret)).get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 3, 4)
    assert first["total_is_lower_bound"] is False and first["prev"] is None
    assert [item["name"] for item in first["items"]] == ["Amara Diallo", "Bruno Costa",
                                                         "Chen Wei"]
    assert first["next"].startswith("http://") and "page=2" in first["next"]
    assert "per_page=3" in first["next"] and "sort=name" in first["next"]
    second = client.get(local(first["next"]), headers=bearer(secret)).get_json()
    assert [item["name"] for item in second["items"]] == ["Dana Novak"]
    assert second["next"] is None and "page=1" in second["prev"]
    beyond = client.get("/api/v1/members?per_page=3&page=9", headers=bearer(secret)).get_json()
    assert beyond["items"] == [] and beyond["next"] is None and "page=2" in beyond["prev"]


def test_a_capped_count_says_so_and_still_offers_the_next_page(client, secret, monkeypatch):
    from coalition.members import queries
    monkeypatch.setattr(queries, "COUNT_LIMIT", 3)
    for n in range(5):
        make_member(name=f"Member {n}")
    body = client.get("/api/v1/members?per_page=2&page=2", headers=bearer(secret)).get_json()
    assert body["total_is_lower_bound"] is True and body["total"] == 4  # "at least 4"
    assert body["next"] is not None and "page=3" in body["next"]
    last = client.get(local(body["next"]), headers=bearer(secret)).get_json()
    assert [item["name"] for item in last["items"]] == ["Member 4"]


@pytest.mark.parametrize("query, parameter", [
    ("per_page=0", "per_page"),
    ("per_page=201", "per_page"),
    ("per_page=ten", "per_page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("stakeholder_group=lobbyists", "stakeholder_group"),
    ("region=atlantis", "region"),
    ("country=XX", "country"),
    ("country=Kenya", "country"),
    ("status=retired", "status"),
    ("sort=email", "sort"),
    ("organization_id=x", "organization_id"),
    ("q=" + "a" * 201, "q"),
    ("stakeholder=academia", "stakeholder"),  # a misspelt filter must not return everyone
    ("country=KE&country=BR", "country"),
])
def test_bad_parameters_get_a_422_naming_them(client, secret, query, parameter):
    response = client.get(f"/api/v1/members?{query}", headers=bearer(secret))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["parameter"] == parameter
    assert error["message"].startswith(f"{parameter}: ")


def test_the_largest_page_is_200(client, secret):
    for n in range(3):
        make_member(name=f"Member {n}")
    body = client.get("/api/v1/members?per_page=200", headers=bearer(secret)).get_json()
    assert body["per_page"] == 200 and len(body["items"]) == 3


# --- organizations --------------------------------------------------------------------

def test_organizations_with_their_active_member_counts(client, login, member):
    network = make_organization(name="Child Safety Network", acronym="CSN",
                                stakeholder_group="civil_society", country="KE",
                                website="https://csn.example.org")
    make_organization(name="Academy of Sciences", stakeholder_group=None, country=None)
    gone = make_organization(name="Gone Group")
    members.set_organization_archived(SYSTEM, gone, True)
    make_member(organization_id=network.id)
    make_member(organization_id=network.id)
    make_member(organization_id=network.id, status="lapsed")
    login(member)
    body = client.get("/api/v1/organizations").get_json()
    assert [item["name"] for item in body["items"]] == ["Academy of Sciences",
                                                        "Child Safety Network"]
    academy, csn = body["items"]
    assert csn == {"id": network.id, "name": "Child Safety Network", "acronym": "CSN",
                   "stakeholder_group": {"code": "civil_society", "label": "Civil society"},
                   "country": {"code": "KE", "name": "Kenya"},
                   "website": "https://csn.example.org", "active_members": 2}
    assert academy["active_members"] == 0 and academy["country"] is None
    assert academy["stakeholder_group"] is None
    assert body["total"] == 2 and body["next"] is None


def test_organizations_come_in_pages(client, secret):
    for name in ("Alpha", "Bravo", "Charlie"):
        make_organization(name=name)
    first = client.get("/api/v1/organizations?per_page=2", headers=bearer(secret)).get_json()
    assert [item["name"] for item in first["items"]] == ["Alpha", "Bravo"]
    second = client.get(local(first["next"]), headers=bearer(secret)).get_json()
    assert [item["name"] for item in second["items"]] == ["Charlie"]
    assert second["next"] is None and second["total"] == 3
    response = client.get("/api/v1/organizations?q=alpha", headers=bearer(secret))
    assert response.status_code == 422 and response.get_json()["error"]["parameter"] == "q"


# --- errors and writes ----------------------------------------------------------------

def test_unknown_addresses_and_methods_answer_json(client, secret):
    response = client.get("/api/v1/nothing-here", headers=bearer(secret))
    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.post("/api/v1/members", headers=bearer(secret), csrf=False)
    assert response.status_code == 405 and response.is_json
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    # ...while the rest of the site keeps its HTML error pages.
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "text/html" in response.content_type


@pytest.fixture
def probe(app):
    """An API endpoint that writes, to check CSRF: tokens need none, sessions do."""
    bp = Blueprint("api_probe", __name__, url_prefix="/api/probe")
    install(bp)

    @bp.post("/echo")
    def echo():
        user = caller()
        return {"caller": user.email if user else None}

    app.register_blueprint(bp)
    return "/api/probe/echo"


def test_a_token_needs_no_csrf_token_but_a_session_does(client, login, member, secret, probe):
    response = client.post(probe, headers=bearer(secret), csrf=False)
    assert response.status_code == 200 and response.get_json() == {
        "caller": "focal@example.org"}
    login(member)
    response = client.post(probe, csrf=False)
    assert response.status_code == 400 and response.is_json
    assert "CSRF" in response.get_json()["error"]["message"]
    response = client.post(probe)
    assert response.status_code == 200 and response.get_json() == {
        "caller": "member@example.org"}


def test_a_deactivated_focal_contact_s_token_is_refused(client, db, focal):
    other = make_user(email="other@example.org", role="focal_contact")
    _, value = services.create_token(other, name="Theirs")
    db.session.commit()
    assert client.get("/api/v1/members", headers=bearer(value)).status_code == 200
    auth.set_active(focal, other, False)
    db.session.commit()
    assert client.get("/api/v1/members", headers=bearer(value)).status_code == 401
