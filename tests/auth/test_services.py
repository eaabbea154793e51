"""Login rules: sign-in and its rate limit, invitations, password resets, managing logins."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.auth import services
from coalition.auth.models import Invitation, LoginAttempt, Role, User
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from tests.factories import PASSWORD, SYSTEM


def test_users_are_stored_with_normalised_email_and_hashed_password(db):
    user = services.create_user(SYSTEM, email="  Ana.Lopez@Example.ORG ", name=" Ana  López ",
                                role="member", password=PASSWORD)
    db.session.commit()
    assert user.email == "ana.lopez@example.org"
    assert user.name == "Ana López"
    assert PASSWORD not in (user.password_hash or "")
    assert user.check_password(PASSWORD)
    assert not user.check_password("wrong " + PASSWORD)


@pytest.mark.parametrize("email, message", [
    ("not-an-address", "not a valid e-mail address"),
    ("", "Enter an e-mail address"),
])
def test_a_malformed_email_is_refused_and_nothing_is_created(db, email, message):
    with pytest.raises(ValidationError, match=message):
        services.create_user(SYSTEM, email=email, name="X", role="member", password=PASSWORD)
    db.session.rollback()
    assert db.session.scalars(select(User)).all() == []


def test_a_second_login_with_the_same_email_is_refused(db, member):
    with pytest.raises(ValidationError, match="already a login"):
        services.create_user(SYSTEM, email="MEMBER@example.org", name="Copy", role="member",
                             password=PASSWORD)


def test_a_short_password_is_refused(db):
    with pytest.raises(ValidationError, match="at least 10"):
        services.create_user(SYSTEM, email="a@example.org", name="A", role="member",
                             password="short")


def test_a_member_cannot_create_logins(db, member):
    with pytest.raises(PermissionDenied):
        services.create_user(member, email="a@example.org", name="A", role="member",
                             password=PASSWORD)


def test_creating_a_login_is_audited_without_the_password(db, focal):
    user = services.create_user(focal, email="new@example.org", name="New", role="member",
                                password=PASSWORD)
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "users", AuditEvent.entity_id == str(user.id))).one()
    assert event.actor_id == focal.id
    assert event.action == "create"
    assert event.changes["email"] == [None, "new@example.org"]
    assert PASSWORD not in str(event.changes)


# --- signing in -----------------------------------------------------------------------

def test_correct_credentials_sign_in_and_are_recorded(db, member):
    user = services.authenticate("Member@Example.org", PASSWORD, "192.0.2.1")
    db.session.commit()
    assert user.id == member.id
    assert user.last_login_at is not None
    attempt = db.session.scalars(select(LoginAttempt)).one()
    assert attempt.succeeded and attempt.ip == "192.0.2.1"


def test_wrong_password_and_unknown_account_get_the_same_message(db, member):
    with pytest.raises(ValidationError) as wrong:
        services.authenticate(member.email, "nope nope nope", "192.0.2.1")
    with pytest.raises(ValidationError) as unknown:
        services.authenticate("nobody@example.org", "nope nope nope", "192.0.2.1")
    assert wrong.value.message == unknown.value.message == services.WRONG_CREDENTIALS


def test_a_deactivated_login_cannot_sign_in(db, create_user):
    user = create_user(is_active=False)
    with pytest.raises(ValidationError, match="deactivated"):
        services.authenticate(user.email, PASSWORD, "192.0.2.1")


def _fail(email: str, times: int, ip: str = "192.0.2.1", now=None) -> None:
    for _ in range(times):
        with pytest.raises(ValidationError):
            services.authenticate(email, "wrong password!", ip, now=now)
    services.db.session.commit()


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(db, member):
    _fail(member.email, 10)
    with pytest.raises(services.LoginLocked) as locked:
        services.authenticate(member.email, PASSWORD, "198.51.100.7")
    assert "Too many failed sign-in attempts for this account" in locked.value.message
    assert "15 minutes" in locked.value.message


def test_nine_wrong_passwords_do_not_lock(db, member):
    _fail(member.email, 9)
    assert services.authenticate(member.email, PASSWORD, "192.0.2.1").id == member.id


def test_the_lockout_ends_when_the_window_has_passed(db, member):
    start = utcnow() - timedelta(minutes=16)
    _fail(member.email, 10, now=start)
    assert services.authenticate(member.email, PASSWORD, "192.0.2.1").id == member.id


def test_a_password_reset_lifts_the_lockout(db, member):
    _fail(member.email, 10)
    token = services.password_reset_token(member)
    services.reset_password(token, "a brand new password")
    db.session.commit()
    assert services.authenticate(member.email, "a brand new password", "192.0.2.1")


def test_many_failures_from_one_address_lock_that_address(db, create_user):
    for n in range(3):
        _fail(f"guess{n}@example.org", 10, ip="203.0.113.9")
    victim = create_user()
    with pytest.raises(services.LoginLocked, match="from your network"):
        services.authenticate(victim.email, PASSWORD, "203.0.113.9")
    assert services.authenticate(victim.email, PASSWORD, "192.0.2.55").id == victim.id


# --- invitations ----------------------------------------------------------------------

def test_an_invitation_lets_the_person_choose_a_password_once(db, focal, outbox):
    invitation = services.invite(focal, email="new@example.org", name="New Person",
                                 role="member")
    db.session.commit()
    token = services.invitation_token(invitation)
    user = services.accept_invitation(token, password="my chosen password")
    db.session.commit()
    assert user.role == "member" and user.check_password("my chosen password")
    with pytest.raises(services.LinkError, match="already been used"):
        services.invitation_from_token(token)


def test_an_expired_invitation_says_so(db, focal):
    sent = utcnow() - timedelta(days=7, minutes=1)
    invitation = services.invite(focal, email="late@example.org", name="Late", now=sent)
    db.session.commit()
    with pytest.raises(services.LinkError, match="has expired"):
        services.accept_invitation(services.invitation_token(invitation),
                                   password="my chosen password")
    assert db.session.scalars(select(User).where(User.email == "late@example.org")).all() == []


def test_an_invitation_still_works_just_before_it_expires(db, focal):
    sent = utcnow() - timedelta(days=6, hours=23)
    invitation = services.invite(focal, email="ontime@example.org", name="On Time", now=sent)
    db.session.commit()
    assert services.invitation_from_token(services.invitation_token(invitation)) == invitation


def test_a_forged_invitation_token_is_refused(db, focal):
    invitation = services.invite(focal, email="new@example.org", name="New")
    db.session.commit()
    token = services.invitation_token(invitation)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(services.LinkError, match="not valid"):
        services.invitation_from_token(forged)


def test_a_new_invitation_replaces_the_pending_one(db, focal):
    first = services.invite(focal, email="new@example.org", name="New")
    db.session.commit()
    second = services.invite(focal, email="new@example.org", name="New")
    db.session.commit()
    with pytest.raises(services.LinkError, match="replaced"):
        services.invitation_from_token(services.invitation_token(first))
    assert services.invitation_from_token(services.invitation_token(second)) == second


def test_a_withdrawn_invitation_no_longer_works(db, focal):
    invitation = services.invite(focal, email="new@example.org", name="New")
    services.revoke_invitation(focal, invitation)
    db.session.commit()
    with pytest.raises(services.LinkError, match="withdrawn"):
        services.invitation_from_token(services.invitation_token(invitation))


def test_only_focal_contacts_invite(db, member):
    with pytest.raises(PermissionDenied):
        services.invite(member, email="friend@example.org", name="Friend")


def test_nobody_is_invited_twice_to_an_existing_login(db, focal, member):
    with pytest.raises(ValidationError, match="already a login"):
        services.invite(focal, email=member.email, name="Again")


def test_the_invitation_email_carries_a_working_link(db, focal, outbox):
    services.invite(focal, email="new@example.org", name="Nadia New", role="focal_contact")
    db.session.commit()
    [message] = outbox()
    assert message["To"].addresses[0].addr_spec == "new@example.org"
    body = message.get_content()
    assert "Fatima Focal has invited you" in body and "as a focal contact" in body
    link = next(word for word in body.split() if word.startswith("http"))
    assert link.startswith("http://coalition.test/invitations/")
    token = link.rsplit("/", 1)[1]
    assert services.invitation_from_token(token).email == "new@example.org"


def test_nothing_is_sent_when_the_invitation_is_rolled_back(db, focal, outbox):
    services.invite(focal, email="new@example.org", name="New")
    db.session.rollback()
    assert outbox() == []
    assert db.session.scalars(select(Invitation)).all() == []


# --- password reset -------------------------------------------------------------------

def test_a_reset_link_works_once(db, member):
    token = services.password_reset_token(member)
    services.reset_password(token, "a brand new password")
    db.session.commit()
    with pytest.raises(services.LinkError, match="already been used"):
        services.reset_password(token, "another new password")


def test_a_reset_link_stops_working_after_an_hour(db, member):
    token = services.password_reset_token(member, now=utcnow() - timedelta(minutes=61))
    with pytest.raises(services.LinkError, match="expired"):
        services.reset_password(token, "a brand new password")
    assert member.check_password(PASSWORD)


def test_a_reset_link_works_within_the_hour(db, member):
    token = services.password_reset_token(member, now=utcnow() - timedelta(minutes=59))
    assert services.reset_password(token, "a brand new password").id == member.id


def test_a_reset_request_mails_known_addresses_only(db, member, outbox):
    services.request_password_reset("nobody@example.org")
    services.request_password_reset("not an address")
    db.session.commit()
    assert outbox() == []
    services.request_password_reset("MEMBER@example.org")
    db.session.commit()
    [message] = outbox()
    assert "/password/reset/" in message.get_content()


def test_a_reset_token_for_one_purpose_is_useless_for_another(db, focal, member):
    invitation = services.invite(focal, email="new@example.org", name="New")
    db.session.commit()
    with pytest.raises(services.LinkError, match="not valid"):
        services.reset_password(services.invitation_token(invitation), "a brand new password")


def test_changing_the_password_needs_the_current_one(db, member):
    with pytest.raises(ValidationError) as error:
        services.change_password(member, current_password="wrong",
                                 new_password="a brand new password", ip="192.0.2.1")
    assert error.value.field == "current_password"
    old_token = member.session_token
    services.change_password(member, current_password=PASSWORD,
                             new_password="a brand new password", ip="192.0.2.1")
    assert member.check_password("a brand new password")
    assert member.session_token != old_token  # other devices are signed out


# --- managing logins ------------------------------------------------------------------

def test_the_last_focal_contact_cannot_be_deactivated_or_demoted(db, focal):
    with pytest.raises(ValidationError, match="last active focal contact"):
        services.set_active(focal, focal, False)
    with pytest.raises(ValidationError, match="last active focal contact"):
        services.change_role(focal, focal, Role.MEMBER.value)


def test_deactivating_a_member_is_audited_and_signs_them_out(db, focal, member):
    token = member.session_token
    services.set_active(focal, member, False)
    db.session.commit()
    assert not member.is_active and member.session_token != token
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deactivate")).one()
    assert event.changes == {"is_active": [True, False]}
    assert event.actor_label == focal.email


def test_a_member_cannot_deactivate_anyone(db, focal, member):
    with pytest.raises(PermissionDenied):
        services.set_active(member, focal, False)


def test_parallel_guesses_cannot_slip_past_the_lockout(app, db, member):
    """Twenty wrong passwords at once: at most ten are checked, the rest are refused, and
    none fails with a database error (both backends serialise attempts on one account)."""
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def guess() -> None:
        with app.app_context():
            start.wait()
            try:
                services.authenticate(member.email, "a wrong password", "192.0.2.1")
            except services.LoginLocked:
                outcomes.append("locked")
            except ValidationError:
                outcomes.append("wrong")
            except Exception as error:  # a test failure, reported below
                outcomes.append(repr(error))
            finally:
                services.db.session.commit()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["locked"] * 10 + ["wrong"] * 10


def test_ipv6_clients_are_counted_per_64_block(db, create_user):
    for n in range(3):
        _fail(f"guess{n}@example.org", 10, ip=f"2001:db8:1:2::{n + 1}")
    with pytest.raises(services.LoginLocked, match="from your network"):
        services.authenticate(create_user().email, PASSWORD, "2001:db8:1:2:ffff::9")


def test_wrong_current_passwords_count_toward_the_lockout(db, member):
    for _ in range(10):
        with pytest.raises(ValidationError):
            services.change_password(member, current_password="guess guess",
                                     new_password="a brand new password", ip="192.0.2.1")
    with pytest.raises(services.LoginLocked):
        services.change_password(member, current_password=PASSWORD,
                                 new_password="a brand new password", ip="192.0.2.1")
    assert member.check_password(PASSWORD)


def test_repeated_reset_requests_send_one_mail_per_five_minutes(db, member, outbox):
    for _ in range(5):
        services.request_password_reset(member.email)
        db.session.commit()
    assert len(outbox()) == 1
    services.request_password_reset(member.email, now=utcnow() + timedelta(minutes=6))
    db.session.commit()
    assert len(outbox()) == 2


def test_an_invitation_link_never_opens_another_invitation(db, focal):
    """A token names one invitation: a new row with the same id (SQLite reuses the id of a
    rolled-back row) does not answer to it."""
    services.invite(focal, email="first@example.org", name="First")
    db.session.flush()
    first = db.session.scalars(select(Invitation)).one()
    stale = services.invitation_token(first)
    db.session.rollback()
    services.invite(focal, email="second@example.org", name="Second", role="focal_contact")
    db.session.commit()
    with pytest.raises(services.LinkError, match="not valid"):
        services.invitation_from_token(stale)


def test_a_closed_session_sends_nothing_later(db, focal, outbox):
    services.invite(focal, email="dropped@example.org", name="Dropped")
    db.session.close()
    services.invite(focal, email="kept@example.org", name="Kept")
    db.session.commit()
    assert [m["To"].addresses[0].addr_spec for m in outbox()] == ["kept@example.org"]
