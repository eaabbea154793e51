"""The focal contact's token page: list, create (the secret shown once), revoke."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from coalition.api import services
from coalition.api.models import ApiToken
from coalition.auth.models import Role
from tests.factories import make_user


def all_tokens(db) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def shown_secret(html: str) -> str:
    return re.search(r'id="token-secret" value="([^"]+)"', html).group(1)


def test_the_public_is_sent_to_sign_in(client, db):
    for response in (client.get("/account/tokens"),
                     client.post("/account/tokens", data={"name": "Sneaky"})):
        assert response.status_code == 302 and response.location.startswith("/login")
    assert all_tokens(db) == []


def test_members_may_not_manage_tokens(client, db, login, member, focal):
    token, secret = services.create_token(focal, name="Website")
    db.session.commit()
    login(member)
    assert client.get("/account/tokens").status_code == 403
    assert client.post("/account/tokens", data={"name": "Mine"}).status_code == 403
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 403
    assert [t.name for t in all_tokens(db)] == ["Website"]
    assert services.authenticate_token(secret) == focal


def test_the_list_shows_each_token_without_its_secret(client, db, login, focal):
    used, used_secret = services.create_token(focal, name="Website directory")
    old, _ = services.create_token(focal, name="Old script")
    services.revoke_token(focal, old)
    services.authenticate_token(used_secret)
    db.session.commit()
    login(focal)
    html = client.get("/account/tokens").get_data(as_text=True)
    assert "Website directory" in html and "Old script" in html
    assert f"{used.hint}…" in html and used_secret not in html
    assert "revoked" in html and "never" in html  # the old one was never used
    assert html.count("Revoke “") == 1  # only the active token can be revoked
    assert "Authorization: Bearer" in html


def test_a_focal_contact_with_no_tokens_is_told_so(client, login, focal):
    login(focal)
    assert "You have no tokens yet." in client.get("/account/tokens").get_data(as_text=True)


def test_creating_shows_the_secret_once_and_it_works(client, db, login, focal):
    login(focal)
    response = client.post("/account/tokens", data={"name": "Website directory"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "only time the token is shown" in html
    secret = shown_secret(html)
    [token] = all_tokens(db)
    assert token.name == "Website directory" and token.user_id == focal.id
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "no-store" in response.headers["Cache-Control"]
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    api = client.application.test_client()  # a program, with no session
    assert api.get("/api/v1/members",
                   headers={"Authorization": f"Bearer {secret}"}).status_code == 200


@pytest.mark.parametrize("name, message", [
    ("", "Enter a name."),
    ("x" * 101, "100 characters"),
])
def test_a_token_needs_a_name(client, db, login, focal, name, message):
    login(focal)
    response = client.post("/account/tokens", data={"name": name})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html and 'aria-invalid="true"' in html
    assert all_tokens(db) == []


def test_a_second_token_with_the_same_name_is_refused(client, db, login, focal):
    services.create_token(focal, name="Website")
    db.session.commit()
    login(focal)
    response = client.post("/account/tokens", data={"name": "website"})
    assert response.status_code == 400
    assert "already have a token with this name" in response.get_data(as_text=True)
    assert len(all_tokens(db)) == 1


def test_creating_needs_the_form_s_csrf_token(client, db, login, focal):
    login(focal)
    response = client.post("/account/tokens", data={"name": "Forged"}, csrf=False)
    assert response.status_code == 400
    assert all_tokens(db) == []


def test_revoking_stops_the_token_and_keeps_it_listed(client, db, login, focal):
    token, secret = services.create_token(focal, name="Website")
    db.session.commit()
    login(focal)
    response = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The token “Website” is revoked" in html and "badge-revoked" in html
    db.session.refresh(token)
    assert token.revoked_at is not None
    api = client.application.test_client()
    assert api.get("/api/v1/members",
                   headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_another_focal_contact_s_token_is_not_there(client, db, login, focal):
    other = make_user(email="other@example.org", role=Role.FOCAL_CONTACT.value)
    token, secret = services.create_token(other, name="Theirs")
    db.session.commit()
    login(focal)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client.post("/account/tokens/999999/revoke").status_code == 404
    assert "Theirs" not in client.get("/account/tokens").get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is None


def test_revoking_is_a_post(client, db, login, focal):
    token, _ = services.create_token(focal, name="Website")
    db.session.commit()
    login(focal)
    assert client.get(f"/account/tokens/{token.id}/revoke").status_code == 405
    response = client.post(f"/account/tokens/{token.id}/revoke", csrf=False)
    assert response.status_code == 400
    db.session.refresh(token)
    assert token.revoked_at is None
