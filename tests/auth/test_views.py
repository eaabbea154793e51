"""The login pages as a browser-less client sees them, including what each role may not do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coalition.auth import services
from coalition.auth.models import Invitation, User
from coalition.db import utcnow
from tests.factories import PASSWORD


def text(response) -> str:
    return response.get_data(as_text=True)


def test_login_page_has_labelled_fields(client):
    page = text(client.get("/login"))
    assert '<label for="email">E-mail address</label>' in page
    assert '<label for="password">Password</label>' in page


def test_signing_in_goes_home_and_signing_out_ends_the_session(client, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    assert "Welcome, Mateo Member" in text(client.get("/"))
    response = client.post("/logout", follow_redirects=True)
    assert "You are signed out." in text(response)
    assert client.get("/account/password").status_code == 302


def test_signing_in_returns_to_the_page_asked_for_but_never_offsite(client, focal):
    response = client.post("/login?next=/audit/", data={"email": focal.email,
                                                         "password": PASSWORD})
    assert response.headers["Location"] == "/audit/"
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}",
                               data={"email": focal.email, "password": PASSWORD})
        assert response.headers["Location"] == "/", target
        client.post("/logout")


def test_a_wrong_password_shows_a_clear_message(client, member):
    response = client.post("/login", data={"email": member.email, "password": "wrong one"})
    assert response.status_code == 401
    assert services.WRONG_CREDENTIALS in text(response)


def test_ten_wrong_passwords_lock_the_account_with_a_clear_message(client, member):
    for _ in range(10):
        assert client.post("/login", data={"email": member.email,
                                           "password": "wrong one"}).status_code == 401
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts for this account" in text(response)
    assert "Welcome" not in text(client.get("/"))


def test_remember_me_sets_a_long_lived_http_only_cookie(client, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD,
                                           "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("coalition_remember="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember


def test_without_remember_me_no_persistent_cookie_is_set(client, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("coalition_remember=") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("coalition_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # BASE_URL is http in tests


# --- CSRF -----------------------------------------------------------------------------

def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client, focal, login, db):
    login(focal)
    response = client.post("/users/invite", csrf=False,
                           data={"name": "Eve", "email": "eve@example.org", "role": "member"})
    assert response.status_code == 400
    assert "security token" in text(response)
    assert db.session.scalars(select(Invitation)).all() == []


def test_a_post_with_a_forged_csrf_token_is_refused(client, focal, login, db):
    login(focal)
    response = client.post("/users/invite", csrf=False, data={
        "name": "Eve", "email": "eve@example.org", "role": "member", "csrf_token": "forged"})
    assert response.status_code == 400
    assert db.session.scalars(select(Invitation)).all() == []


def test_signing_out_needs_the_csrf_token(client, member, login):
    login(member)
    assert client.post("/logout", csrf=False).status_code == 400
    assert "Welcome, Mateo Member" in text(client.get("/"))


# --- invitations ----------------------------------------------------------------------

def _link_token(message) -> str:
    return re.search(r"/(?:invitations|password/reset)/(\S+)", message.get_content()).group(1)


def test_focal_contact_invites_and_the_invitee_chooses_a_password(client, focal, login, outbox,
                                                                  db):
    login(focal)
    response = client.post("/users/invite", data={"name": "Nadia New",
                                                  "email": "nadia@example.org",
                                                  "role": "member"}, follow_redirects=True)
    assert "Invitation sent to nadia@example.org" in text(response)
    assert "nadia@example.org" in text(client.get("/users/"))
    client.post("/logout")

    token = _link_token(outbox()[-1])
    page = text(client.get(f"/invitations/{token}"))
    assert "Welcome, Nadia New" in page
    response = client.post(f"/invitations/{token}", data={"password": "nadia's own password",
                                                           "confirm": "nadia's own password"})
    assert response.status_code == 302
    assert "Welcome, Nadia New" in text(client.get("/"))
    client.post("/logout")
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 400 and "already been used" in text(again)


def test_an_invitation_with_mismatched_passwords_is_not_accepted(client, focal, db):
    invitation = services.invite(focal, email="n@example.org", name="N")
    db.session.commit()
    token = services.invitation_token(invitation)
    response = client.post(f"/invitations/{token}", data={"password": "one long password",
                                                          "confirm": "another password"})
    assert "The two passwords are not the same." in text(response)
    assert db.session.scalars(select(User).where(User.email == "n@example.org")).all() == []


def test_an_expired_invitation_page_says_it_expired(client, focal, db):
    invitation = services.invite(focal, email="late@example.org", name="Late",
                                 now=utcnow() - timedelta(days=8))
    db.session.commit()
    response = client.get(f"/invitations/{services.invitation_token(invitation)}")
    assert response.status_code == 400
    assert "This invitation has expired" in text(response)


def test_the_invite_form_shows_errors_next_to_the_field(client, focal, login, db):
    login(focal)
    response = client.post("/users/invite", data={"name": "X", "email": "not an address",
                                                  "role": "member"})
    page = text(response)
    assert 'id="email-error"' in page and "not a valid e-mail address" in page
    assert 'aria-describedby="email-error"' in page
    # ...and summed up at the top, announced on load, with a link to the field
    assert 'role="alert"' in page and '<a href="#email">E-mail address: ' in page
    assert db.session.scalars(select(Invitation)).all() == []


def test_withdrawing_an_invitation(client, focal, login, db):
    invitation = services.invite(focal, email="n@example.org", name="N")
    db.session.commit()
    login(focal)
    response = client.post(f"/users/invitations/{invitation.id}/revoke", follow_redirects=True)
    assert "was withdrawn" in text(response)
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None


# --- passwords ------------------------------------------------------------------------

def test_reset_page_says_the_same_for_known_and_unknown_addresses(client, member, outbox):
    known = text(client.post("/password/forgot", data={"email": member.email}))
    unknown = text(client.post("/password/forgot", data={"email": "nobody@example.org"}))
    assert known.replace(member.email, "X") == unknown.replace("nobody@example.org", "X")
    assert len(outbox()) == 1


def test_a_reset_link_works_once_in_the_browser_flow(client, member, outbox):
    client.post("/password/forgot", data={"email": member.email})
    token = _link_token(outbox()[-1])
    response = client.post(f"/password/reset/{token}", data={"password": "a new password!",
                                                             "confirm": "a new password!"})
    assert response.headers["Location"] == "/login"
    assert client.post("/login", data={"email": member.email,
                                       "password": "a new password!"}).status_code == 302
    client.post("/logout")
    again = client.get(f"/password/reset/{token}")
    assert again.status_code == 400 and "already been used" in text(again)


def test_a_reset_link_older_than_an_hour_is_refused(client, member):
    token = services.password_reset_token(member, now=utcnow() - timedelta(minutes=61))
    response = client.post(f"/password/reset/{token}", data={"password": "a new password!",
                                                             "confirm": "a new password!"})
    assert response.status_code == 400 and "expired" in text(response)
    assert client.post("/login", data={"email": member.email,
                                       "password": PASSWORD}).status_code == 302


def test_changing_the_password_signs_out_other_devices(app, client, member, login):
    other_device = app.test_client()
    other_device.post("/login", data={"email": member.email, "password": PASSWORD},
                      follow_redirects=True)
    login(member)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "a new password!",
        "confirm": "a new password!"}, follow_redirects=True)
    assert "Your password has been changed" in text(response)
    assert "Welcome, Mateo Member" in text(client.get("/"))
    assert "Welcome" not in text(other_device.get("/"))


# --- who may do what ------------------------------------------------------------------

FOCAL_ONLY_PAGES = ["/users/", "/users/invite", "/audit/"]


@pytest.mark.parametrize("url", FOCAL_ONLY_PAGES)
def test_focal_contact_pages_send_visitors_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("url", FOCAL_ONLY_PAGES)
def test_focal_contact_pages_are_forbidden_to_members(client, member, login, url):
    login(member)
    response = client.get(url)
    assert response.status_code == 403
    assert "Not allowed" in text(response)


def test_members_cannot_invite_or_deactivate(client, focal, member, login, db):
    login(member)
    assert client.post("/users/invite", data={"name": "Eve", "email": "eve@example.org",
                                              "role": "focal_contact"}).status_code == 403
    assert client.post(f"/users/{focal.id}/deactivate").status_code == 403
    db.session.refresh(focal)
    assert focal.is_active
    assert db.session.scalars(select(Invitation)).all() == []


def test_focal_contact_deactivates_a_member_who_is_then_signed_out(app, client, focal, member,
                                                                   login, db):
    member_browser = app.test_client()
    member_browser.post("/login", data={"email": member.email, "password": PASSWORD},
                        follow_redirects=True)
    assert "Welcome, Mateo Member" in text(member_browser.get("/"))
    login(focal)
    response = client.post(f"/users/{member.id}/deactivate", follow_redirects=True)
    assert "login is deactivated" in text(response)
    assert "Welcome" not in text(member_browser.get("/"))
    response = member_browser.post("/login", data={"email": member.email,
                                                   "password": PASSWORD})
    assert "deactivated" in text(response)


def test_unknown_user_or_invitation_is_404(client, focal, login):
    login(focal)
    assert client.post("/users/999/deactivate").status_code == 404
    assert client.post("/users/invitations/999/revoke").status_code == 404


def test_pages_reached_by_token_are_not_cached_and_send_no_referrer(client, member):
    token = services.password_reset_token(member)
    response = client.get(f"/password/reset/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_signing_in_replaces_the_csrf_token(client, member):
    before = client.csrf_token()
    with client.session_transaction() as session:
        raw_before = session["csrf_token"]
    client.post("/login", data={"email": member.email, "password": PASSWORD,
                                "csrf_token": before})
    with client.session_transaction() as session:
        assert session.get("csrf_token") != raw_before


def test_a_weak_new_password_is_shown_next_to_its_field(client, member, login):
    login(member)
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"})
    assert 'id="password-error"' in text(response) and "too easy to guess" in text(response)
