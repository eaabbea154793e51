"""The directory, member and organization pages, per role, including what each may not see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coalition.members.models import Member
from tests.factories import make_member, make_organization, make_user

CONSENT = ("show_name", "show_organization", "show_stakeholder_group", "show_country")
SECRET = {"name": "Zora Quill", "organization": "Hidden Valley Institute",
          "stakeholder_group": "Technical community", "country": "Mongolia"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def consenting(db):
    """One listed member per consent flag, each consenting to that field only; the
    directory and the member page must show that field and none of the others."""
    organization = make_organization(name=SECRET["organization"],
                                     stakeholder_group="technical_community")
    made = {}
    for flag in CONSENT:
        made[flag] = make_member(
            name=SECRET["name"] + " " + flag, email=f"{flag}@example.org",
            organization_id=organization.id, stakeholder_group="technical_community",
            country="MN", listed_publicly=True, **{flag: True})
    return made


@pytest.mark.parametrize("flag", CONSENT)
def test_the_public_sees_only_the_field_each_member_consented_to(client, consenting, flag):
    member = consenting[flag]
    shown = flag.removeprefix("show_")
    for url in ("/members/?q=&stakeholder_group=", f"/members/{member.id}"):
        page = text(client.get(url))
        if url.startswith("/members/?"):
            # only this member's row matters: cut the table to it
            page = page[page.index(f'/members/{member.id}"'):]
            page = page[:page.index("</tr>")]
        for field, value in SECRET.items():
            visible = (member.name if field == "name" else value) in page
            assert visible == (field == shown), (url, flag, field)
        assert member.email not in page


def test_members_not_listed_publicly_are_not_in_the_public_directory(client, db):
    hidden = make_member(name="Unlisted Ulla", show_name=True, listed_publicly=False)
    assert "Unlisted Ulla" not in text(client.get("/members/"))
    assert client.get(f"/members/{hidden.id}").status_code == 404


def test_the_public_cannot_find_a_hidden_name_by_searching_for_it(client, db):
    make_member(name="Secret Sami", listed_publicly=True, show_country=True, country="FI")
    page = text(client.get("/members/?q=secret"))
    assert "0 members match" in page


def test_signed_in_members_see_members_only_fields_but_not_emails(client, login, db):
    viewer = make_member(login=True, email="viewer@example.org")
    make_member(name="Quiet Quentin", title="Researcher", email="quentin@example.org",
                listed_publicly=False)
    login(make_user_for(viewer))
    page = text(client.get("/members/?q=quentin"))
    assert "Quiet Quentin" in page and "Researcher" in page
    assert "quentin@example.org" not in page


def make_user_for(member):
    from coalition.members.services import login_of

    return login_of(member)


def test_focal_contact_sees_emails_and_every_status(client, focal, login, db):
    make_member(name="Lapsed Lou", email="lou@example.org", status="lapsed")
    login(focal)
    assert "Lapsed Lou" not in text(client.get("/members/"))
    page = text(client.get("/members/?status=lapsed"))
    assert "Lapsed Lou" in page and "lou@example.org" in page


def test_directory_filters_and_sorting(client, focal, login, db):
    make_member(name="Ana Brazil", country="BR", stakeholder_group="government")
    make_member(name="Ben Kenya", country="KE", stakeholder_group="academia")
    make_member(name="Cleo Kenya", country="KE", stakeholder_group="government")
    login(focal)
    page = text(client.get("/members/?region=african&stakeholder_group=government"))
    assert "Cleo Kenya" in page and "Ben Kenya" not in page and "Ana Brazil" not in page
    page = text(client.get("/members/?sort=-name"))
    assert page.index("Cleo Kenya") < page.index("Ben Kenya") < page.index("Ana Brazil")
    page = text(client.get("/members/?q=KENYA"))
    assert "1 member" not in page and "2 members match" in page


def test_directory_is_paginated(client, focal, login, db):
    for n in range(55):
        make_member(name=f"Paged {n:02d}")
    login(focal)
    first = text(client.get("/members/?q=paged"))
    assert "55 members match" in first and "Page 1 of 2" in first and "Paged 49" in first
    assert "Paged 50" not in first
    assert "Paged 54" in text(client.get("/members/?q=paged&page=2"))


def test_focal_contact_adds_and_edits_a_member(client, focal, login, db):
    login(focal)
    response = client.post("/members/new", data={
        "name": "Nia Okafor", "email": "nia@example.org", "stakeholder_group": "civil_society",
        "country": "NG", "organization_name": "Safe Kids Lagos", "show_name": "y"})
    member = db.session.scalars(select(Member).where(Member.email == "nia@example.org")).one()
    assert response.headers["Location"] == f"/members/{member.id}"
    assert member.region == "african" and member.status == "active"
    client.post(f"/members/{member.id}/edit", data={
        "name": "Nia Okafor", "email": "nia@example.org", "stakeholder_group": "civil_society",
        "country": "NG", "region": "western_european_others"})
    db.session.refresh(member)
    assert member.region == "western_european_others" and member.region_overridden


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(client, focal, login, db):
    login(focal)
    page = text(client.post("/members/new", data={
        "name": "X", "email": "broken@", "stakeholder_group": "civil_society"}))
    assert 'id="email-error"' in page and "not a valid e-mail address" in page
    assert db.session.scalars(select(Member)).all() == []


def test_status_archive_restore_and_erase(client, focal, login, db):
    member = make_member(name="Tomas Turn", email="tomas@example.org")
    login(focal)
    client.post(f"/members/{member.id}/status", data={"status": "lapsed", "on": "2026-02-03"})
    db.session.refresh(member)
    assert member.status == "lapsed" and member.lapsed_on.isoformat() == "2026-02-03"
    client.post(f"/members/{member.id}/archive")
    db.session.refresh(member)
    assert member.status == "left"
    client.post(f"/members/{member.id}/restore")
    db.session.refresh(member)
    assert member.status == "active"
    page = text(client.post(f"/members/{member.id}/erase", data={"confirm": "erase"}))
    assert "Type ERASE in capitals" in page
    db.session.refresh(member)
    assert member.erased_at is None
    client.post(f"/members/{member.id}/erase", data={"confirm": "ERASE"})
    db.session.refresh(member)
    assert member.erased_at and member.email is None and member.name != "Tomas Turn"


def test_a_member_edits_their_own_profile_and_consent(client, login, db):
    member = make_member(login=True, name="Pia Profile")
    login(make_user_for(member))
    page = text(client.get("/members/me"))
    assert "Pia Profile" in page and "List me in the public member directory" in page
    client.post("/members/me", data={"name": "Pia P.", "stakeholder_group": "academia",
                                     "country": "CL", "listed_publicly": "y",
                                     "show_name": "y"})
    db.session.refresh(member)
    assert member.name == "Pia P." and member.listed_publicly and member.show_name
    assert member.region == "latin_american_caribbean"


def test_a_member_cannot_edit_or_manage_anyone(client, login, db):
    me = make_member(login=True)
    other = make_member(name="Other Olga")
    login(make_user_for(me))
    assert client.get(f"/members/{other.id}/edit").status_code == 403
    assert client.post(f"/members/{other.id}/edit", data={
        "name": "Hacked", "stakeholder_group": "academia"}).status_code == 403
    assert client.post(f"/members/{other.id}/status", data={"status": "left"}).status_code \
        == 403
    assert client.post(f"/members/{other.id}/archive").status_code == 403
    assert client.post(f"/members/{other.id}/erase", data={"confirm": "ERASE"}).status_code \
        == 403
    db.session.refresh(other)
    assert other.name == "Other Olga" and other.status == "active" and not other.erased_at


def test_a_login_without_a_member_record_has_no_profile(client, login, db):
    login(make_user())
    assert "not linked to a member record" in text(client.get("/members/me"))


def test_unknown_member_or_organization_is_404(client, focal, login):
    login(focal)
    assert client.get("/members/9999").status_code == 404
    assert client.get("/members/9999/edit").status_code == 404
    assert client.get("/organizations/9999").status_code == 404


def test_organization_pages_list_their_members_as_each_audience_may_see(client, login, db):
    organization = make_organization(name="Open Data Lab")
    make_member(name="Listed Lina", organization_id=organization.id, listed_publicly=True,
                show_name=True, show_organization=True)
    make_member(name="Private Pete", organization_id=organization.id)
    page = text(client.get(f"/organizations/{organization.id}"))
    assert "Listed Lina" in page and "Private Pete" not in page
    viewer = make_member(login=True)
    login(make_user_for(viewer))
    page = text(client.get(f"/organizations/{organization.id}"))
    assert "Listed Lina" in page and "Private Pete" in page


def test_focal_contact_manages_organizations(client, focal, login, db):
    login(focal)
    response = client.post("/organizations/new", data={
        "name": "Digital Rights Africa", "acronym": "DRA", "stakeholder_group": "civil_society",
        "country": "ZA", "website": "dra.example.org"})
    assert response.status_code == 302
    page = text(client.get("/organizations/"))
    assert "Digital Rights Africa (DRA)" in page and "South Africa" in page
    organization_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/organizations/{organization_id}/archive", follow_redirects=True)
    assert "Digital Rights Africa" not in text(client.get("/organizations/"))
    client.post("/logout")
    assert client.get(f"/organizations/{organization_id}").status_code == 404
