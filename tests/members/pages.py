"""The directory, member and organization pages for the quality gates."""

from __future__ import annotations

from coalition.auth.models import User
from coalition.extensions import db
from tests.factories import make_member, make_organization, make_user
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

ORDER = 10


def add_samples(s: Samples) -> None:
    """Two organizations, members with every kind of consent, and the signed-in member's
    own record (so 'My profile' has something to show)."""
    network = make_organization(name="Child Safety Network", acronym="CSN",
                                stakeholder_group="civil_society", country="GH",
                                website="https://csn.example.org")
    ministry = make_organization(name="Ministry of ICT", stakeholder_group="government",
                                 country="BR")
    shown = make_member(name="Ama Mensah", email="ama@example.org", title="Director",
                        organization_id=network.id, country="GH", listed_publicly=True,
                        show_name=True, show_organization=True, show_stakeholder_group=True,
                        show_country=True)
    make_member(name="Hidden Name", email="hidden@example.org", organization_id=ministry.id,
                stakeholder_group="government", country="BR", listed_publicly=True,
                show_organization=True)
    make_member(name="Lapsed Lara", email="lara@example.org", status="lapsed", country="PL")
    own = make_member(name="Mateo Member", email="mateo.member@example.org",
                      stakeholder_group="academia", country="PE")

    user = db.session.get(User, s.member_user_id)
    user.member_id = own.id
    db.session.commit()
    s.organization_id = network.id
    s.shown_member_id = shown.id
    s.own_member_id = own.id
    s.archived_member_id = make_member(name="Gone Gwen", status="left").id
    make_user(email="nomember@example.org", name="No Member")


def cases(s: Samples) -> list[Case]:
    return [
        Case("public directory", ANONYMOUS, "/members/"),
        Case("public directory, searched", ANONYMOUS, "/members/?q=ama&country=GH"),
        Case("public member page", ANONYMOUS, f"/members/{s.shown_member_id}"),
        Case("members' directory", MEMBER, "/members/"),
        Case("member page, as a member", MEMBER, f"/members/{s.shown_member_id}"),
        Case("my profile", MEMBER, "/members/me"),
        Case("my profile, with an error", MEMBER, "/members/me", "POST",
             {"name": "", "stakeholder_group": "academia", "country": "PE"}),
        Case("directory, focal contact", FOCAL, "/members/?status=&sort=-joined"),
        Case("member page, focal contact", FOCAL, f"/members/{s.shown_member_id}"),
        Case("profile without a member record", FOCAL, "/members/me"),
        Case("add a member", FOCAL, "/members/new"),
        Case("add a member, with errors", FOCAL, "/members/new", "POST",
             {"name": "", "email": "broken", "stakeholder_group": "", "country": "ZZ"}),
        Case("edit a member", FOCAL, f"/members/{s.shown_member_id}/edit"),
        Case("erase a member", FOCAL, f"/members/{s.archived_member_id}/erase"),
        Case("organizations", ANONYMOUS, "/organizations/"),
        Case("organizations, focal contact", FOCAL, "/organizations/?archived=1"),
        Case("organization page", ANONYMOUS, f"/organizations/{s.organization_id}"),
        Case("organization page, member", MEMBER, f"/organizations/{s.organization_id}"),
        Case("add an organization", FOCAL, "/organizations/new"),
        Case("edit an organization", FOCAL, f"/organizations/{s.organization_id}/edit"),
    ]


MATRIX = {
    "/members/": ("/members/", EVERYONE, NOBODY),
    "/members/<int:member_id>": ("/members/{shown_member_id}", EVERYONE, NOBODY),
    "/members/new": ("/members/new", FOCAL_ONLY, FOCAL_ONLY),
    "/members/<int:member_id>/edit": ("/members/{shown_member_id}/edit", FOCAL_ONLY,
                                      FOCAL_ONLY),
    "/members/me": ("/members/me", SIGNED_IN, SIGNED_IN),
    "/members/<int:member_id>/status": ("/members/{shown_member_id}/status", NOBODY,
                                        FOCAL_ONLY),
    "/members/<int:member_id>/<any(archive, restore):action>": (
        "/members/{shown_member_id}/archive", NOBODY, FOCAL_ONLY),
    "/members/<int:member_id>/erase": ("/members/{archived_member_id}/erase", FOCAL_ONLY,
                                       FOCAL_ONLY),
    "/organizations/": ("/organizations/", EVERYONE, NOBODY),
    "/organizations/<int:organization_id>": ("/organizations/{organization_id}", EVERYONE,
                                             NOBODY),
    "/organizations/new": ("/organizations/new", FOCAL_ONLY, FOCAL_ONLY),
    "/organizations/<int:organization_id>/edit": ("/organizations/{organization_id}/edit",
                                                  FOCAL_ONLY, FOCAL_ONLY),
    "/organizations/<int:organization_id>/<any(archive, restore):action>": (
        "/organizations/{organization_id}/archive", NOBODY, FOCAL_ONLY),
}
