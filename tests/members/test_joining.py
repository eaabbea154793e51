"""Joining: the application, its double opt-in, the rate limit, and the focal contact's
decision (approve with an invitation, or decline with a message)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coalition.audit.models import AuditEvent
from coalition.auth import services as auth
from coalition.auth.models import Invitation, User
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.members import joining
from coalition.members.models import Member, Organization
from coalition.members.services import MemberInput
from tests.factories import make_member, make_organization, make_user

LINK = re.compile(r"http://coalition\.test/join/confirm/\S+")


def application(**overrides) -> MemberInput:
    values = {"name": "Amina Applicant", "email": "Amina@Example.org",
              "organization_name": "Kenya ICT Action Network", "stakeholder_group":
              "civil_society", "country": "KE", "motivation": "Child safety online.",
              "listed_publicly": True, "show_name": True}
    values.update(overrides)
    return MemberInput(**values)


def link_in(message) -> str:
    return LINK.search(message.get_content()).group(0)


def token_in(message) -> str:
    return link_in(message).rsplit("/", 1)[1]


def count(model) -> int:
    from coalition.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_double_opt_in_reaches_the_focal_contacts_only_after_confirmation(db, focal, outbox):
    make_user(email="second-focal@example.org", name="Second Focal", role="focal_contact")
    make_user(email="gone-focal@example.org", name="Gone Focal", role="focal_contact",
              is_active=False)
    make_user(email="plain@example.org", name="Plain Member")
    organizations = count(Organization)

    member = joining.apply(application())
    db.session.commit()
    assert (member.status, member.email, member.applied_on) == (
        "applicant", "amina@example.org", utcnow().date())
    assert (member.country, member.region) == ("KE", "african")
    assert member.organization_name == "Kenya ICT Action Network"
    assert member.organization_id is None and count(Organization) == organizations
    assert member.email_confirmed_at is None
    [message] = outbox()  # to the applicant alone: no focal contact hears of it yet
    assert message["To"] == "Amina Applicant <amina@example.org>"
    assert "Confirm your application" in message["Subject"]
    assert "expires in 7 days" in message.get_content()

    joining.confirm(token_in(message))
    db.session.commit()
    assert member.email_confirmed_at is not None
    notices = outbox()[1:]
    assert sorted(m["To"].addresses[0].addr_spec for m in notices) == [
        "focal@example.org", "second-focal@example.org"]
    assert "Amina Applicant" in notices[0]["Subject"]
    assert f"/members/applications/{member.id}" in notices[0].get_content()
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.actor_label).where(
        AuditEvent.entity_type == "members", AuditEvent.entity_id == str(member.id))
        .order_by(AuditEvent.id)).all()
    assert [tuple(a) for a in actions] == [("apply", "anonymous"), ("confirm", "anonymous")]


def test_opening_the_link_twice_changes_nothing_and_tells_nobody_twice(db, focal, outbox):
    joining.apply(application())
    db.session.commit()
    token = token_in(outbox()[0])
    first = joining.confirm(token)
    db.session.commit()
    confirmed_at = first.email_confirmed_at
    again = joining.confirm(token, now=utcnow() + timedelta(hours=1))
    db.session.commit()
    assert again.email_confirmed_at == confirmed_at
    assert len(outbox()) == 2  # the link, and one notice to the one focal contact


def test_a_repeated_application_updates_it_but_resends_at_most_every_ten_minutes(db, outbox):
    start = utcnow()
    member = joining.apply(application(), now=start)
    db.session.commit()
    joining.apply(application(name="Amina A. Applicant", country="Ghana"),
                  now=start + timedelta(minutes=3))
    db.session.commit()
    assert len(outbox()) == 1  # updated, but no second message so soon
    assert (member.name, member.country) == ("Amina A. Applicant", "GH")
    first_token = token_in(outbox()[0])

    joining.apply(application(), now=start + timedelta(minutes=11))
    db.session.commit()
    assert len(outbox()) == 2
    with pytest.raises(joining.LinkError, match="replaced by a newer one"):
        joining.confirm(first_token, now=start + timedelta(minutes=12))
    assert joining.confirm(token_in(outbox()[1])).email_confirmed_at is not None
    assert count(Member) == 1


def test_an_existing_member_is_told_by_email_and_nothing_changes(db, focal, outbox):
    existing = make_member(name="Mia Member", email="mia@example.org", country="FR")
    result = joining.apply(application(name="Someone Else", email="MIA@example.org",
                                       country="KE"))
    db.session.commit()
    assert result.id == existing.id
    assert (existing.status, existing.name, existing.country) == ("active", "Mia Member", "FR")
    [message] = outbox()
    assert message["Subject"] == "You are already a member"
    assert message["To"].addresses[0].addr_spec == "mia@example.org"
    assert "/join/confirm/" not in message.get_content()
    assert "http://coalition.test/login" in message.get_content()
    joining.apply(application(email="mia@example.org"), now=utcnow() + timedelta(minutes=2))
    db.session.commit()
    assert len(outbox()) == 1  # no flood of notes either


def test_a_confirmed_application_is_not_changed_by_a_new_submission(db, focal, outbox):
    member = joining.apply(application())
    db.session.commit()
    joining.confirm(token_in(outbox()[0]))
    db.session.commit()
    joining.apply(application(name="Mallory", motivation="changed"),
                  now=utcnow() + timedelta(minutes=30))
    db.session.commit()
    assert (member.name, member.motivation) == ("Amina Applicant", "Child safety online.")
    note = outbox()[-1]
    assert note["Subject"] == "Your application is with the focal contact"
    assert note["To"].addresses[0].addr_spec == "amina@example.org"


def test_a_declined_applicant_may_apply_again(db, focal, outbox):
    member = joining.apply(application())
    db.session.commit()
    joining.confirm(token_in(outbox()[0]))
    joining.decline(focal, member, "Please apply once your project has started.")
    db.session.commit()
    old_link = token_in(outbox()[0])
    joining.apply(application(motivation="The project has started."),
                  now=utcnow() + timedelta(days=30))
    db.session.commit()
    assert (member.status, member.email_confirmed_at) == ("applicant", None)
    assert member.decline_message == "Please apply once your project has started."
    assert member.motivation == "The project has started."
    with pytest.raises(joining.LinkError):
        joining.confirm(old_link, now=utcnow() + timedelta(days=30))
    joining.confirm(token_in(outbox()[-1]), now=utcnow() + timedelta(days=30))
    assert member.email_confirmed_at is not None
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.entity_id == str(member.id)).order_by(AuditEvent.id.desc())) == "confirm"


@pytest.mark.parametrize("field, value, message", [
    ("email", "amina-at-example.org", "not a valid e-mail address"),
    ("email", "", "Enter an e-mail address"),
    ("stakeholder_group", "", "Choose a stakeholder group"),
    ("stakeholder_group", "lobbyists", "Choose a stakeholder group from the list"),
    ("country", "Atlantis", "not a country we know"),
    ("country", "", "Choose your country"),
    ("name", " ", "Enter a name"),
    ("motivation", "x" * 2001, "under 2000 characters"),
])
def test_bad_input_is_refused_and_nothing_is_written_or_sent(db, outbox, field, value,
                                                             message):
    with pytest.raises(ValidationError, match=message) as error:
        joining.apply(application(**{field: value}))
    assert error.value.field == field
    db.session.rollback()
    assert count(Member) == 0 and count(AuditEvent) == 0
    assert outbox() == []


def test_expired_forged_and_foreign_links_are_refused_with_a_reason(db, focal, outbox):
    start = utcnow()
    joining.apply(application(), now=start)
    db.session.commit()
    token = token_in(outbox()[0])
    with pytest.raises(joining.LinkError, match="expired"):
        joining.confirm(token, now=start + timedelta(days=7, seconds=1))
    with pytest.raises(joining.LinkError, match="not valid"):
        joining.confirm(token[:-3] + "abc")
    with pytest.raises(joining.LinkError, match="not valid"):
        joining.confirm("not-a-token")
    invitation = auth.invite(focal, email="x@example.org", name="X")
    with pytest.raises(joining.LinkError, match="not valid"):
        joining.confirm(auth.invitation_token(invitation))
    db.session.rollback()
    assert db.session.scalar(select(Member)).email_confirmed_at is None


def test_a_link_used_for_a_decided_application_says_so(db, focal, outbox):
    member = joining.apply(application())
    db.session.commit()
    token = token_in(outbox()[0])
    joining.confirm(token)
    joining.approve(focal, member)
    db.session.commit()
    with pytest.raises(joining.LinkError, match="already been used"):
        joining.confirm(token)


def confirmed(**overrides) -> Member:
    from coalition.extensions import db

    start = utcnow() - timedelta(hours=1)
    member = joining.apply(application(**overrides), now=start)
    member.email_confirmed_at = start
    db.session.commit()
    return member


def test_approving_invites_the_applicant_and_accepting_links_the_login(db, focal, outbox):
    member = confirmed()
    joining.approve(focal, member)
    db.session.commit()
    assert (member.status, member.joined_on) == ("active", utcnow().date())
    organization = member.organization
    assert (organization.name, organization.stakeholder_group, organization.country) == (
        "Kenya ICT Action Network", "civil_society", "KE")
    assert member.organization_name is None
    invitation = outbox()[-1]
    assert invitation["To"].addresses[0].addr_spec == "amina@example.org"
    assert "You are invited" in invitation["Subject"]
    token = re.search(r"/invitations/(\S+)", invitation.get_content()).group(1)
    user = auth.accept_invitation(token, password="amina's own password")
    db.session.commit()
    assert user.member_id == member.id and user.role == "member"


def test_approving_links_an_existing_organization_by_name_or_acronym(db, focal):
    known = make_organization(name="Kenya ICT Action Network", acronym="KICTANet")
    before = count(Organization)
    member = confirmed(organization_name="kictanet")
    joining.approve(focal, member)
    db.session.commit()
    assert member.organization_id == known.id and count(Organization) == before


def test_an_applicant_without_organization_stays_an_individual(db, focal):
    member = confirmed(organization_name="")
    before = count(Organization)
    joining.approve(focal, member)
    db.session.commit()
    assert member.organization is None and count(Organization) == before


def test_approving_someone_who_has_a_login_links_it_instead_of_inviting(db, focal, outbox):
    login = make_user(email="amina@example.org", name="Amina", is_active=False)
    member = confirmed()
    assert joining.approve(focal, member).id == login.id
    db.session.commit()
    assert login.member_id == member.id and login.is_active
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert not any("You are invited" in m["Subject"] for m in outbox())


def test_an_unconfirmed_application_cannot_be_decided(db, focal):
    member = joining.apply(application())
    with pytest.raises(ValidationError, match="not confirmed"):
        joining.approve(focal, member)
    with pytest.raises(ValidationError, match="not confirmed"):
        joining.decline(focal, member, "No.")
    assert member.status == "applicant"


def test_declining_needs_a_message_and_emails_it(db, focal, outbox):
    member = confirmed()
    with pytest.raises(ValidationError, match="Write a message") as error:
        joining.decline(focal, member, "   ")
    assert error.value.field == "message" and member.status == "applicant"
    joining.decline(focal, member, "Our charter admits only organisations from the region.")
    db.session.commit()
    assert (member.status, member.left_on) == ("left", utcnow().date())
    assert member.declined_at is not None
    assert member.decline_message == "Our charter admits only organisations from the region."
    message = outbox()[-1]
    assert message["To"].addresses[0].addr_spec == "amina@example.org"
    assert "Our charter admits only organisations from the region." in message.get_content()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1  # no login made


def test_only_a_focal_contact_decides(db, focal):
    member = confirmed()
    plain = make_user(email="plain@example.org", name="Plain Member")
    with pytest.raises(PermissionDenied):
        joining.approve(plain, member)
    with pytest.raises(PermissionDenied):
        joining.decline(plain, member, "No.")
    deactivated = make_user(email="old-focal@example.org", name="Old", role="focal_contact",
                            is_active=False)
    with pytest.raises(PermissionDenied):
        joining.approve(deactivated, member)
    assert member.status == "applicant"


def test_a_decided_application_cannot_be_decided_again(db, focal):
    member = confirmed()
    joining.approve(focal, member)
    with pytest.raises(ValidationError, match="not an applicant"):
        joining.decline(focal, member, "Changed my mind.")
    assert member.status == "active"


def test_the_focal_contact_sees_confirmed_applications_newest_first(db):
    older = confirmed(email="older@example.org", name="Older")
    newer = confirmed(email="newer@example.org", name="Newer")
    newer.email_confirmed_at = older.email_confirmed_at + timedelta(minutes=5)
    joining.apply(application(email="pending@example.org"))
    make_member(status="applicant")  # added by hand: not through the form, not confirmed
    db.session.commit()
    page = joining.awaiting_decision()
    assert [m.name for m in page.items] == ["Newer", "Older"]
    assert joining.unconfirmed_count() == 2
