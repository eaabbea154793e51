"""Login pages for the quality gates: representative data, pages per role, access rows."""

from __future__ import annotations

from datetime import timedelta

from coalition.auth import services as auth
from coalition.auth.models import Role
from coalition.db import utcnow
from tests.factories import make_user
from tests.quality.catalog import (
    ANONYMOUS,
    EVERYONE,
    FOCAL,
    FOCAL_ONLY,
    MEMBER,
    NOBODY,
    SIGNED_IN,
    Case,
    Samples,
)

ORDER = 0  # the logins everybody else's pages are seen with


def add_samples(s: Samples) -> None:
    """Both roles, a deactivated login, invitations pending and expired."""
    focal = make_user(email="focal@example.org", name="Fatima Focal",
                      role=Role.FOCAL_CONTACT.value)
    member = make_user(email="member@example.org", name="Mateo Member")
    make_user(email="dina@example.org", name="Dina Deactivated", is_active=False)
    pending = auth.invite(focal, email="nadia@example.org", name="Nadia New")
    expired = auth.invite(focal, email="eli@example.org", name="Eli Expired",
                          role=Role.FOCAL_CONTACT.value, now=utcnow() - timedelta(days=9))
    s.emails.update({MEMBER: member.email, FOCAL: focal.email})
    s.focal_user_id = focal.id
    s.member_user_id = member.id
    s.pending_invitation_id = pending.id
    s.invitation_token = auth.invitation_token(pending)
    s.expired_invitation_token = auth.invitation_token(expired)
    s.reset_token = auth.password_reset_token(member)


def cases(s: Samples) -> list[Case]:
    mismatch = {"password": "one long password", "confirm": "another password"}
    return [
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
        Case("change password", MEMBER, "/account/password"),
        Case("change password, wrong current", MEMBER, "/account/password", "POST",
             {"current_password": "wrong", "password": "a long new password",
              "confirm": "a long new password"}, 400),
        Case("forbidden page", MEMBER, "/users/", status=403),
        Case("logins and invitations", FOCAL, "/users/"),
        Case("invite form", FOCAL, "/users/invite"),
        Case("invite form with errors", FOCAL, "/users/invite", "POST",
             {"name": "", "email": "not an address", "role": "member"}),
        Case("change password (focal contact)", FOCAL, "/account/password"),
    ]


MATRIX = {
    "/login": ("/login", EVERYONE, EVERYONE),
    "/logout": ("/logout", NOBODY, EVERYONE),
    "/password/forgot": ("/password/forgot", EVERYONE, EVERYONE),
    "/password/reset/<token>": ("/password/reset/{reset_token}", EVERYONE, EVERYONE),
    "/invitations/<token>": ("/invitations/{invitation_token}", EVERYONE, EVERYONE),
    "/account/password": ("/account/password", SIGNED_IN, SIGNED_IN),
    "/users/": ("/users/", FOCAL_ONLY, NOBODY),
    "/users/invite": ("/users/invite", FOCAL_ONLY, FOCAL_ONLY),
    "/users/invitations/<int:invitation_id>/revoke": (
        "/users/invitations/{pending_invitation_id}/revoke", NOBODY, FOCAL_ONLY),
    "/users/<int:user_id>/<any(activate, deactivate):action>": (
        "/users/{member_user_id}/deactivate", NOBODY, FOCAL_ONLY),
}
