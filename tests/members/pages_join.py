"""Joining pages for the quality gates: applications in each state, pages per role, access
rows."""

from __future__ import annotations

from datetime import timedelta

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.members import joining
from coalition.members.services import MemberInput
from tests.quality.catalog import (
    ANONYMOUS,
    EVERYONE,
    FOCAL,
    FOCAL_ONLY,
    MEMBER,
    NOBODY,
    Case,
    Samples,
)


def _apply(name: str, email: str, confirmed: bool, hours_ago: int = 3, **values):
    start = utcnow() - timedelta(hours=hours_ago)
    member = joining.apply(MemberInput(name=name, email=email, **values), now=start)
    if confirmed:
        member.email_confirmed_at = start + timedelta(hours=1)
    return member


def add_samples(s: Samples) -> None:
    """A confirmed application awaiting a decision, one from someone declined before, an
    unconfirmed one, and one whose confirmation link the catalog opens."""
    confirmed = _apply(
        "Carla Confirmed", "carla@example.org", True, organization_name="Universidade Livre",
        stakeholder_group="academia", country="BR", listed_publicly=True, show_name=True,
        show_organization=True,
        motivation="I research how children meet risks online.\n\nOur lab would bring survey "
                   "data from twelve countries to the coalition's annual report.")
    _apply("Uma Unconfirmed", "uma@example.org", False, stakeholder_group="government",
           country="DE")
    to_confirm = _apply("Tomás ToConfirm", "tomas@example.org", False,
                        stakeholder_group="private_sector", country="MX",
                        organization_name="Red Segura S.A.")
    returning = _apply("Rita Returning", "rita@example.org", True, hours_ago=9,
                       stakeholder_group="technical_community", country="IN")
    focal = db.session.get(User, s.focal_user_id)
    joining.decline(focal, returning, "We admit people working on child safety only.\n\n"
                                      "Apply again once your project has started.",
                    now=utcnow() - timedelta(hours=6))
    returning = _apply("Rita Returning", "rita@example.org", True,
                       stakeholder_group="technical_community", country="IN",
                       motivation="Our child-safety project has started.")
    s.join_applicant_id = confirmed.id
    s.join_returning_id = returning.id
    s.join_token = joining.confirmation_token(to_confirm)


def cases(s: Samples) -> list[Case]:
    good = {"name": "Amina Applicant", "email": "amina@example.org",
            "organization_name": "Kenya ICT Action Network",
            "stakeholder_group": "civil_society", "country": "KE",
            "motivation": "I run a helpline for children.", "listed_publicly": "y"}
    bad = {**good, "email": "amina-at-example.org", "stakeholder_group": "",
           "country": "XX"}
    applications = "/members/applications/"
    application = f"{applications}{s.join_applicant_id}"
    return [
        Case("join form", ANONYMOUS, "/join"),
        Case("join form (signed in)", MEMBER, "/join"),
        Case("join form with errors", ANONYMOUS, "/join", "POST", bad, 400),
        Case("join: check your e-mail", ANONYMOUS, "/join", "POST", good),
        # Before the confirmation below, so the list still counts two unconfirmed.
        Case("applications", FOCAL, applications),
        Case("applications, forbidden", MEMBER, applications, status=403),
        Case("application", FOCAL, application),
        Case("application declined before", FOCAL,
             f"{applications}{s.join_returning_id}"),
        Case("application, decline without message", FOCAL, f"{application}/decline", "POST",
             {"message": ""}, 400),
        Case("join confirmed", ANONYMOUS, f"/join/confirm/{s.join_token}"),
        Case("join confirmed again", ANONYMOUS, f"/join/confirm/{s.join_token}"),
        Case("broken join link", ANONYMOUS, "/join/confirm/not-a-token", status=400),
    ]


MATRIX = {
    "/join": ("/join", EVERYONE, EVERYONE),
    "/join/confirm/<token>": ("/join/confirm/{join_token}", EVERYONE, NOBODY),
    "/members/applications/": ("/members/applications/", FOCAL_ONLY, NOBODY),
    "/members/applications/<int:member_id>": (
        "/members/applications/{join_applicant_id}", FOCAL_ONLY, NOBODY),
    "/members/applications/<int:member_id>/approve": (
        "/members/applications/{join_applicant_id}/approve", NOBODY, FOCAL_ONLY),
    "/members/applications/<int:member_id>/decline": (
        "/members/applications/{join_applicant_id}/decline", NOBODY, FOCAL_ONLY),
}
