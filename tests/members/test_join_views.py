"""The join pages as a browser-less client sees them: the public form, the confirmation
link, and the focal contact's applications, including what each role may not do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coalition.db import utcnow
from coalition.members import joining
from coalition.members.models import Member
from coalition.members.services import MemberInput
from tests.factories import make_member

FORM = {"name": "Amina Applicant", "email": "amina@example.org",
        "organization_name": "Kenya ICT Action Network", "stakeholder_group": "civil_society",
        "country": "KE", "motivation": "I run a helpline for children.",
        "listed_publicly": "y", "show_name": "y", "show_country": "y"}


def text(response) -> str:
    return response.get_data(as_text=True)


def members(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


def confirm_link(message) -> str:
    return re.search(r"http://coalition\.test(/join/confirm/\S+)", message.get_content()).group(1)


def applicant(db, confirmed: bool = True, **overrides) -> Member:
    values = {"name": "Carla Confirmed", "email": "carla@example.org",
              "stakeholder_group": "academia", "country": "BR",
              "organization_name": "Universidade Livre", "motivation": "Research on safety."}
    values.update(overrides)
    member = joining.apply(MemberInput(**values), now=utcnow() - timedelta(hours=2))
    if confirmed:
        member.email_confirmed_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return member


def test_join_form_has_labelled_fields_and_the_consent_choices(client):
    page = text(client.get("/join"))
    for field, label in [("name", "Your name"), ("email", "E-mail address"),
                         ("organization_name", "Organization"),
                         ("stakeholder_group", "Stakeholder group"), ("country", "Country"),
                         ("motivation", "Why do you want to join?"),
                         ("listed_publicly", "List me in the public member directory"),
                         ("show_name", "Show my name"),
                         ("show_country", "Show my country and region")]:
        assert f'<label for="{field}">{label}</label>' in page
    assert '<option value="KE">Kenya</option>' in page
    assert "<legend>What the public may see</legend>" in page


def test_applying_and_confirming_through_the_pages(client, db, focal, outbox):
    response = client.post("/join", data=FORM)
    assert response.status_code == 200
    assert "Check your e-mail" in text(response) and "amina@example.org" in text(response)
    [message] = outbox()
    member = db.session.scalar(select(Member))
    assert (member.status, member.show_name, member.show_organization, member.show_country) \
        == ("applicant", True, False, True)

    response = client.get(confirm_link(message))
    assert response.status_code == 200
    assert "goes to the coalition's focal contact" in text(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert [m["To"].addresses[0].addr_spec for m in outbox()[1:]] == ["focal@example.org"]

    again = client.get(confirm_link(message))
    assert again.status_code == 200 and "already confirmed" in text(again)
    assert len(outbox()) == 2


def test_the_page_says_the_same_whether_or_not_the_address_is_a_member(client, db, outbox):
    make_member(name="Mia Member", email="mia@example.org")
    for_member = text(client.post("/join", data={**FORM, "email": "mia@example.org"}))
    for_newcomer = text(client.post("/join", data={**FORM, "email": "new@example.org"}))
    assert for_member.replace("mia@example.org", "X") == \
        for_newcomer.replace("new@example.org", "X")
    assert {m["Subject"] for m in outbox()} == {
        "You are already a member", "Confirm your application to Test Coalition"}


def test_a_signed_in_visitor_can_apply_too(client, db, member, login, outbox):
    login(member)
    response = client.post("/join", data={**FORM, "email": "friend@example.org"})
    assert "Check your e-mail" in text(response)
    assert outbox()[0]["To"].addresses[0].addr_spec == "friend@example.org"


@pytest.mark.parametrize("field, value, message", [
    ("email", "amina-at-example.org", "This is not a valid e-mail address"),
    ("email", "", "Enter your e-mail address."),
    ("stakeholder_group", "", "Choose your stakeholder group."),
    ("stakeholder_group", "lobbyists", "Choose a stakeholder group from the list."),
    ("country", "XX", "&#39;XX&#39; is not a country we know"),
    ("country", "", "Choose your country."),
    ("name", "", "Enter your name."),
])
def test_bad_input_gets_a_message_next_to_the_field_and_creates_nothing(
        client, db, outbox, field, value, message):
    response = client.post("/join", data={**FORM, field: value})
    assert response.status_code == 400
    page = text(response)
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page
    assert f'aria-describedby="{field}-error"' in page or \
        f'aria-describedby="{field}-help {field}-error"' in page
    assert members(db) == 0 and outbox() == []


def test_a_post_without_csrf_token_is_refused(client, db, outbox):
    response = client.post("/join", data=FORM, csrf=False)
    assert response.status_code == 400
    assert "security token" in text(response)
    assert members(db) == 0 and outbox() == []


@pytest.mark.parametrize("token, reason", [
    ("not-a-token", "not valid"),
    ("eyJkIjp7Im0iOjF9LCJlIjo0MTAyNDQ0ODAwfQ.forged-signature", "not valid"),
])
def test_a_broken_confirmation_link_explains_itself(client, db, token, reason):
    response = client.get(f"/join/confirm/{token}")
    assert response.status_code == 400
    assert "This link cannot be used" in text(response) and reason in text(response)


def test_an_expired_confirmation_link_says_so(client, db, outbox):
    member = joining.apply(MemberInput(name="Old", email="old@example.org",
                                       stakeholder_group="academia", country="BR"),
                           now=utcnow() - timedelta(days=8))
    db.session.commit()
    response = client.get(confirm_link(outbox()[0]))
    assert response.status_code == 400 and "has expired" in text(response)
    db.session.refresh(member)
    assert member.email_confirmed_at is None


def test_applications_are_for_the_focal_contact_only(client, db, member, login):
    pending = applicant(db)
    for url in ("/members/applications/", f"/members/applications/{pending.id}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for url in (f"/members/applications/{pending.id}/approve",
                f"/members/applications/{pending.id}/decline"):
        response = client.post(url, data={"message": "No."})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    login(member)
    for url in ("/members/applications/", f"/members/applications/{pending.id}"):
        assert client.get(url).status_code == 403
    assert client.post(f"/members/applications/{pending.id}/approve").status_code == 403
    assert client.post(f"/members/applications/{pending.id}/decline",
                       data={"message": "No."}).status_code == 403
    db.session.refresh(pending)
    assert pending.status == "applicant"


def test_the_list_shows_confirmed_applications_with_motivation_and_counts_the_rest(
        client, db, focal, login):
    applicant(db)
    applicant(db, confirmed=False, name="Uma Unconfirmed", email="uma@example.org")
    login(focal)
    page = text(client.get("/members/applications/"))
    assert "Carla Confirmed" in page and "Research on safety." in page
    assert "Uma Unconfirmed" not in page
    assert "1 other applicant has not confirmed their e-mail address yet" in page


def test_an_application_page_offers_approve_and_decline(client, db, focal, login):
    pending = applicant(db)
    login(focal)
    page = text(client.get(f"/members/applications/{pending.id}"))
    assert "Application from Carla Confirmed" in page
    assert "approving adds it as a new organization" in page
    assert f'action="/members/applications/{pending.id}/approve"' in page
    assert '<label for="message">Message to the applicant</label>' in page


def test_only_applicants_have_an_application_page(client, db, focal, login):
    login(focal)
    active = make_member(status="active")
    for member_id in (active.id, 999_999):
        assert client.get(f"/members/applications/{member_id}").status_code == 404
        assert client.post(f"/members/applications/{member_id}/approve").status_code == 404
        assert client.post(f"/members/applications/{member_id}/decline",
                           data={"message": "No."}).status_code == 404
    db.session.refresh(active)
    assert active.status == "active"


def test_approving_sends_the_invitation(client, db, focal, login, outbox):
    pending = applicant(db)
    login(focal)
    response = client.post(f"/members/applications/{pending.id}/approve",
                           follow_redirects=True)
    assert "Carla Confirmed is now a member" in text(response)
    assert "invitation to choose a password was sent to carla@example.org" in text(response)
    db.session.refresh(pending)
    assert pending.status == "active"
    assert outbox()[-1]["To"].addresses[0].addr_spec == "carla@example.org"
    assert "/invitations/" in outbox()[-1].get_content()


def test_approving_an_unconfirmed_application_is_refused_with_a_reason(
        client, db, focal, login, outbox):
    pending = applicant(db, confirmed=False)
    login(focal)
    sent = len(outbox())
    response = client.post(f"/members/applications/{pending.id}/approve",
                           follow_redirects=True)
    assert "has not confirmed their e-mail address yet" in text(response)
    db.session.refresh(pending)
    assert pending.status == "applicant" and len(outbox()) == sent


def test_declining_needs_a_message(client, db, focal, login, outbox):
    pending = applicant(db)
    login(focal)
    response = client.post(f"/members/applications/{pending.id}/decline",
                           data={"message": "  "})
    assert response.status_code == 400
    assert re.search(r'id="message-error">.*Write a message to the applicant', text(response),
                     re.S)
    db.session.refresh(pending)
    assert pending.status == "applicant"

    response = client.post(f"/members/applications/{pending.id}/decline",
                           data={"message": "We admit organisations only."},
                           follow_redirects=True)
    assert "The application of Carla Confirmed was declined" in text(response)
    db.session.refresh(pending)
    assert (pending.status, pending.decline_message) == ("left", "We admit organisations only.")
    assert "We admit organisations only." in outbox()[-1].get_content()


def test_decision_posts_need_the_csrf_token(client, db, focal, login):
    pending = applicant(db)
    login(focal)
    assert client.post(f"/members/applications/{pending.id}/approve",
                       csrf=False).status_code == 400
    assert client.post(f"/members/applications/{pending.id}/decline",
                       data={"message": "No."}, csrf=False).status_code == 400
    db.session.refresh(pending)
    assert pending.status == "applicant"


def test_an_application_from_someone_declined_before_shows_the_earlier_message(
        client, db, focal, login):
    earlier = applicant(db)
    joining.decline(focal, earlier, "Apply again once your project has started.")
    db.session.commit()
    again = applicant(db, motivation="The project has started.")
    assert again.id == earlier.id
    login(focal)
    page = text(client.get(f"/members/applications/{again.id}"))
    assert "Declined before" in page
    assert "Apply again once your project has started." in page
    assert "The project has started." in page
