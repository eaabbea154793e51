"""Member and organization records: validation, region, status, consent, erasure, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.auth import services as auth
from coalition.errors import PermissionDenied, ValidationError
from coalition.members import services
from coalition.members.models import Member
from coalition.members.services import MemberInput, OrganizationInput
from tests.factories import PASSWORD, make_member, make_organization


def test_region_follows_the_country_unless_overridden(db, focal):
    member = services.create_member(focal, MemberInput(
        name="Amina", email="amina@example.org", stakeholder_group="government",
        country="Kenya"))
    assert (member.country, member.region) == ("KE", "african")
    services.update_member(focal, member, MemberInput(
        name="Amina", email="amina@example.org", stakeholder_group="government",
        country="CY"))
    assert member.region == "asia_pacific"
    services.update_member(focal, member, MemberInput(
        name="Amina", email="amina@example.org", stakeholder_group="government",
        country="CY", region="eastern_european"))
    assert member.region == "eastern_european" and member.region_overridden
    services.update_member(focal, member, MemberInput(
        name="Amina", email="amina@example.org", stakeholder_group="government",
        country="FR"))
    assert member.region == "eastern_european"  # the override stays


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-address", "not a valid e-mail address"),
    ("stakeholder_group", "lobbyists", "Choose a stakeholder group from the list"),
    ("country", "Atlantis", "not a country we know"),
    ("name", "", "Enter a name"),
])
def test_bad_input_is_refused_and_nothing_is_written(db, focal, field, value, message):
    data = MemberInput(name="Ok", email="ok@example.org", stakeholder_group="academia",
                       country="BR")
    setattr(data, field, value)
    with pytest.raises(ValidationError, match=message) as error:
        services.create_member(focal, data)
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalars(select(Member)).all() == []


def test_two_members_cannot_share_an_email(db, focal):
    make_member(email="same@example.org")
    with pytest.raises(ValidationError, match="already has this e-mail"):
        services.create_member(focal, MemberInput(name="B", email="SAME@example.org",
                                                  stakeholder_group="academia"))


def test_status_moves_with_dates_and_only_along_allowed_paths(db, focal):
    member = make_member(status="applicant")
    services.set_status(focal, member, "active", on=date(2026, 1, 5))
    services.set_status(focal, member, "lapsed", on=date(2026, 6, 1))
    services.set_status(focal, member, "left", on=date(2026, 7, 1))
    assert (member.joined_on, member.lapsed_on, member.left_on) == (
        date(2026, 1, 5), date(2026, 6, 1), date(2026, 7, 1))
    with pytest.raises(ValidationError, match="cannot become lapsed"):
        services.set_status(focal, member, "lapsed")
    services.restore_member(focal, member, on=date(2026, 9, 1))
    assert member.status == "active" and member.left_on is None


def test_archiving_a_member_stops_their_login_and_restoring_brings_it_back(db, focal):
    member = make_member(login=True)
    user = services.login_of(member)
    services.archive_member(focal, member)
    db.session.commit()
    assert member.status == "left" and not user.is_active
    services.restore_member(focal, member)
    assert user.is_active
    assert auth.authenticate(user.email, PASSWORD, "192.0.2.1").id == user.id


def test_a_member_edits_their_own_profile_but_not_their_status_or_notes(db):
    member = make_member(login=True, notes="focal contact's note")
    user = services.login_of(member)
    services.update_member(user, member, MemberInput(
        name="New Name", stakeholder_group="academia", country="PE", notes="mine now",
        listed_publicly=True, show_name=True))
    assert member.name == "New Name" and member.region == "latin_american_caribbean"
    assert member.notes == "focal contact's note"
    assert member.listed_publicly and member.show_name and not member.show_organization


def test_a_member_cannot_edit_someone_else(db):
    me = make_member(login=True)
    other = make_member()
    with pytest.raises(PermissionDenied):
        services.update_member(services.login_of(me), other,
                               MemberInput(name="Hacked", stakeholder_group="academia"))


def test_a_member_cannot_change_anyones_status(db):
    me = make_member(login=True)
    with pytest.raises(PermissionDenied):
        services.set_status(services.login_of(me), me, "left")


def test_every_change_is_audited_with_old_and_new_values(db, focal):
    member = make_member(name="Before")
    services.update_member(focal, member, MemberInput(
        name="After", email=member.email, stakeholder_group="civil_society", country="KE"))
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "members", AuditEvent.action == "update")).one()
    assert event.changes == {"name": ["Before", "After"]}
    assert event.actor_id == focal.id


def test_erasure_blanks_personal_data_and_keeps_the_counts(db, focal):
    organization = make_organization()
    member = make_member(name="Private Person", email="private@example.org",
                         organization_id=organization.id, stakeholder_group="academia",
                         country="IN", gender="woman", login=True, notes="met in Geneva")
    user = services.login_of(member)
    services.update_member(focal, member, MemberInput(
        name="Private P. Person", email="private@example.org", stakeholder_group="academia",
        country="IN", organization_id=organization.id))
    services.erase_member(focal, member)
    db.session.commit()
    assert member.name == f"Erased member {member.id}"
    assert member.email is None and member.notes is None and member.gender is None
    assert (member.stakeholder_group, member.region, member.country, member.status) == (
        "academia", "asia_pacific", "IN", "left")
    assert member.organization_id == organization.id
    assert not user.is_active and "private" not in user.email
    trail = " ".join(str(e.changes) for e in db.session.scalars(select(AuditEvent)))
    assert "Private" not in trail and "private@example.org" not in trail
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).one()


def test_organizations_are_unique_by_name_and_archived_not_deleted(db, focal):
    organization = services.create_organization(focal, OrganizationInput(
        name="Child Safety Network", acronym="CSN", stakeholder_group="civil_society",
        country="gh", website="csn.example.org"))
    assert organization.website == "https://csn.example.org" and organization.country == "GH"
    with pytest.raises(ValidationError, match="already an organization"):
        services.create_organization(focal, OrganizationInput(name="child safety network"))
    services.set_organization_archived(focal, organization, True)
    assert organization.is_archived and organization.archived_at
    assert services.organization_by_name("csn") == organization


def test_accepting_an_admission_invitation_links_the_login_to_the_member(db, focal):
    member = make_member(email="joiner@example.org")
    invitation = auth.invite(focal, email=member.email, name=member.name, member_id=member.id)
    db.session.commit()
    user = auth.accept_invitation(auth.invitation_token(invitation),
                                  password="a good long password")
    assert user.member_id == member.id


