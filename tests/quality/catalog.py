"""Every page the app can show, with representative data, as each role sees it.

The quality gates (HTML validity, accessibility, security headers) all walk this catalog,
and a test fails when a GET route has no page here: a new page is added to `cases()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask

from coalition.auth import services as auth
from coalition.auth.models import Role
from coalition.db import utcnow
from coalition.extensions import db
from tests.factories import PASSWORD, make_user

ANONYMOUS, MEMBER, FOCAL = "anonymous", "member", "focal_contact"
ROLES = (ANONYMOUS, MEMBER, FOCAL)


@dataclass(frozen=True)
class Samples:
    """Ids, tokens and e-mail addresses of the representative data."""

    emails: dict[str, str]
    member_id: int
    pending_invitation_id: int
    invitation_token: str
    expired_invitation_token: str
    reset_token: str


@dataclass(frozen=True)
class Case:
    name: str
    role: str
    path: str
    method: str = "GET"
    data: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    csrf: bool = True


@dataclass(frozen=True)
class Rendered:
    case: Case
    status: int
    headers: list[tuple[str, str]]
    html: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def headers_named(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def make_samples() -> Samples:
    """Representative data: both roles, a deactivated login, invitations in every state,
    and enough changes for the audit trail to need a second page."""
    focal = make_user(email="focal@example.org", name="Fatima Focal",
                      role=Role.FOCAL_CONTACT.value)
    member = make_user(email="member@example.org", name="Mateo Member")
    make_user(email="dina@example.org", name="Dina Deactivated", is_active=False)
    for n in range(50):
        make_user(email=f"bulk{n}@example.org", name=f"Bulk Person {n}")
    pending = auth.invite(focal, email="nadia@example.org", name="Nadia New")
    expired = auth.invite(focal, email="eli@example.org", name="Eli Expired",
                          role=Role.FOCAL_CONTACT.value, now=utcnow() - timedelta(days=9))
    db.session.commit()
    return Samples(
        emails={MEMBER: member.email, FOCAL: focal.email},
        member_id=member.id,
        pending_invitation_id=pending.id,
        invitation_token=auth.invitation_token(pending),
        expired_invitation_token=auth.invitation_token(expired),
        reset_token=auth.password_reset_token(member),
    )


def cases(s: Samples) -> list[Case]:
    mismatch = {"password": "one long password", "confirm": "another password"}
    return [
        Case("home", ANONYMOUS, "/"),
        Case("sign-in form", ANONYMOUS, "/login"),
        Case("sign-in, wrong password", ANONYMOUS, "/login", "POST",
             {"email": s.emails[MEMBER], "password": "not the password"}, 401),
        Case("sign-in, empty form", ANONYMOUS, "/login", "POST", {}, 400),
        Case("forgot password", ANONYMOUS, "/password/forgot"),
        Case("reset link sent", ANONYMOUS, "/password/forgot", "POST",
             {"email": "nobody@example.org"}),
        Case("choose new password", ANONYMOUS, f"/password/reset/{s.reset_token}"),
        Case("new password mismatch", ANONYMOUS, f"/password/reset/{s.reset_token}", "POST",
             mismatch),
        Case("broken reset link", ANONYMOUS, "/password/reset/not-a-token", status=400),
        Case("accept invitation", ANONYMOUS, f"/invitations/{s.invitation_token}"),
        Case("accept invitation, password too short", ANONYMOUS,
             f"/invitations/{s.invitation_token}", "POST",
             {"password": "short", "confirm": "short"}),
        Case("expired invitation", ANONYMOUS, f"/invitations/{s.expired_invitation_token}",
             status=400),
        Case("page not found", ANONYMOUS, "/no/such/page", status=404),
        Case("form without CSRF token", ANONYMOUS, "/password/forgot", "POST",
             {"email": "x@example.org"}, 400, csrf=False),
        Case("request too large", ANONYMOUS, "/password/forgot", "POST",
             {"email": "x" * (21 * 1024 * 1024)}, 413),
        Case("server error", ANONYMOUS, "/__test__/error", status=500),
        Case("member home", MEMBER, "/"),
        Case("change password", MEMBER, "/account/password"),
        Case("change password, wrong current", MEMBER, "/account/password", "POST",
             {"current_password": "wrong", "password": "a long new password",
              "confirm": "a long new password"}, 400),
        Case("forbidden page", MEMBER, "/users/", status=403),
        Case("focal contact home", FOCAL, "/"),
        Case("logins and invitations", FOCAL, "/users/"),
        Case("invite form", FOCAL, "/users/invite"),
        Case("invite form with errors", FOCAL, "/users/invite", "POST",
             {"name": "", "email": "not an address", "role": "member"}),
        Case("audit trail", FOCAL, "/audit/"),
        Case("audit trail, page 2", FOCAL, "/audit/?page=2"),
        Case("audit trail, filtered", FOCAL,
             f"/audit/?entity_type=users&entity_id={s.member_id}&actor=command%3A+tests"),
        Case("change password (focal contact)", FOCAL, "/account/password"),
    ]


def add_error_route(app: Flask) -> None:
    """A route that fails, so the 500 page can be rendered like any other page."""

    def fail():
        raise RuntimeError("a deliberate failure for the 500 page")

    app.add_url_rule("/__test__/error", "test_error", fail)


def render_all(app: Flask, all_cases: list[Case], samples: Samples) -> list[Rendered]:
    """Fetch every case with the test client, signed in as its role."""
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != ANONYMOUS:
            response = client.post("/login", data={"email": samples.emails[role],
                                                   "password": PASSWORD})
            assert response.status_code == 302, f"cannot sign in as {role}"
        clients[role] = client
    rendered = []
    for case in all_cases:
        client = clients[case.role]
        if case.method == "GET":
            response = client.get(case.path)
        else:
            response = client.post(case.path, data=case.data, csrf=case.csrf)
        assert response.status_code == case.status, (
            f"{case.name} ({case.role} {case.method} {case.path}): expected "
            f"{case.status}, got {response.status_code}")
        rendered.append(Rendered(case, response.status_code, list(response.headers.items()),
                                 response.get_data(as_text=True)))
    return rendered
