"""Personal access tokens: who may create and revoke them, how they are stored, and when
one stops working."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from coalition.api import services
from coalition.api.models import TOKEN_PREFIX, ApiToken
from coalition.audit.models import AuditEvent
from coalition.auth import services as auth
from coalition.auth.models import Role
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from tests.factories import SYSTEM, make_user


def _events(token: ApiToken) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "api_tokens",
                                 AuditEvent.entity_id == str(token.id))
        .order_by(AuditEvent.id)))


def test_the_secret_is_shown_once_and_stored_only_as_its_hash(db, focal):
    token, secret = services.create_token(focal, name="Website")
    db.session.commit()
    assert secret.startswith(TOKEN_PREFIX) and len(secret) >= len(TOKEN_PREFIX) + 43
    stored = db.session.get(ApiToken, token.id)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.hint == secret[:8] and stored.hint.startswith(TOKEN_PREFIX)
    columns = [getattr(stored, column.key) for column in ApiToken.__table__.columns]
    assert not any(secret in str(value) for value in columns)
    [event] = _events(token)
    assert (event.action, event.actor_label) == ("create", focal.email)
    assert secret not in str(event.changes) and stored.token_hash not in str(event.changes)


def test_two_tokens_never_share_a_secret(db, focal):
    _, first = services.create_token(focal, name="One")
    _, second = services.create_token(focal, name="Two")
    assert first != second


def test_a_member_cannot_create_a_token(db, member):
    with pytest.raises(PermissionDenied):
        services.create_token(member, name="Mine")
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_focal_contact_creates_tokens_only_for_themselves(db, focal):
    other = make_user(email="other-focal@example.org", role=Role.FOCAL_CONTACT.value)
    with pytest.raises(PermissionDenied, match="only for yourself"):
        services.create_token(focal, name="Theirs", owner=other)
    assert db.session.scalars(select(ApiToken)).all() == []


def test_a_command_may_create_one_for_a_focal_contact_but_not_for_a_member(db, focal, member):
    token, _ = services.create_token(SYSTEM, name="Nightly sync", owner=focal)
    assert token.user_id == focal.id and token.created_by_id is None
    with pytest.raises(ValidationError, match="Only an active focal contact") as error:
        services.create_token(SYSTEM, name="Member's", owner=member)
    assert error.value.field == "owner"


@pytest.mark.parametrize("name, message", [
    ("", "Enter a name"),
    ("   ", "Enter a name"),
    ("x" * 101, "under 100 characters"),
])
def test_a_token_needs_a_name(db, focal, name, message):
    with pytest.raises(ValidationError, match=message) as error:
        services.create_token(focal, name=name)
    assert error.value.field == "name"


def test_names_of_active_tokens_are_unique_per_person(db, focal):
    token, _ = services.create_token(focal, name="Website")
    with pytest.raises(ValidationError, match="already have a token with this name"):
        services.create_token(focal, name="website")
    services.revoke_token(focal, token)
    services.create_token(focal, name="Website")  # the revoked one no longer counts


def test_a_valid_secret_authenticates_its_owner(db, focal):
    _, secret = services.create_token(focal, name="Website")
    db.session.commit()
    assert services.authenticate_token(secret, utcnow()) == focal


@pytest.mark.parametrize("secret", ["", "coa_", "coa_not-a-real-token", "a" * 50,
                                    "coa_" + "x" * 500])
def test_unknown_secrets_authenticate_nobody(db, focal, secret):
    services.create_token(focal, name="Website")
    assert services.authenticate_token(secret, utcnow()) is None


def test_the_hash_itself_is_not_a_secret(db, focal):
    token, _ = services.create_token(focal, name="Website")
    assert services.authenticate_token(token.token_hash, utcnow()) is None
    assert services.authenticate_token(TOKEN_PREFIX + token.token_hash, utcnow()) is None


def test_a_revoked_token_stops_working_and_is_kept(db, focal):
    token, secret = services.create_token(focal, name="Website")
    when = utcnow()
    services.revoke_token(focal, token, now=when)
    db.session.commit()
    assert services.authenticate_token(secret, utcnow()) is None
    stored = db.session.get(ApiToken, token.id)
    assert stored is not None and stored.revoked_at == when
    assert [event.action for event in _events(token)] == ["create", "revoke"]


def test_revoking_twice_changes_nothing(db, focal):
    token, _ = services.create_token(focal, name="Website")
    first = utcnow() - timedelta(hours=1)
    services.revoke_token(focal, token, now=first)
    services.revoke_token(focal, token, now=utcnow())
    assert token.revoked_at == first
    assert [event.action for event in _events(token)] == ["create", "revoke"]


def test_only_the_owner_revokes_a_token(db, focal, member):
    other = make_user(email="other-focal@example.org", role=Role.FOCAL_CONTACT.value)
    token, secret = services.create_token(other, name="Theirs")
    with pytest.raises(PermissionDenied):
        services.revoke_token(focal, token)
    with pytest.raises(PermissionDenied):
        services.revoke_token(member, token)
    assert token.revoked_at is None
    assert services.authenticate_token(secret, utcnow()) == other


def test_a_deactivated_owner_s_tokens_stop_working(db, focal):
    other = make_user(email="other-focal@example.org", role=Role.FOCAL_CONTACT.value)
    _, secret = services.create_token(other, name="Theirs")
    auth.set_active(focal, other, False)
    db.session.commit()
    assert services.authenticate_token(secret, utcnow()) is None
    auth.set_active(focal, other, True)
    assert services.authenticate_token(secret, utcnow()) == other


def test_a_token_stops_working_when_its_owner_is_no_longer_a_focal_contact(db, focal):
    """Only focal contacts can see and revoke tokens; a member could not manage one."""
    other = make_user(email="other-focal@example.org", role=Role.FOCAL_CONTACT.value)
    _, secret = services.create_token(other, name="Theirs")
    auth.change_role(focal, other, Role.MEMBER.value)
    db.session.commit()
    assert services.authenticate_token(secret, utcnow()) is None


def test_last_used_is_written_at_most_once_a_minute(db, focal):
    token, secret = services.create_token(focal, name="Website")
    start = utcnow()
    assert token.last_used_at is None
    services.authenticate_token(secret, start)
    assert token.last_used_at == start
    services.authenticate_token(secret, start + timedelta(seconds=59))
    assert token.last_used_at == start
    services.authenticate_token(secret, start + timedelta(seconds=60))
    assert token.last_used_at == start + timedelta(seconds=60)
    assert [event.action for event in _events(token)] == ["create"]  # use is not audited


def test_tokens_of_lists_newest_first_with_revoked_ones(db, focal):
    old, _ = services.create_token(focal, name="Old", now=utcnow() - timedelta(days=2))
    new, _ = services.create_token(focal, name="New")
    services.revoke_token(focal, old)
    other = make_user(email="other-focal@example.org", role=Role.FOCAL_CONTACT.value)
    services.create_token(other, name="Not mine")
    assert [token.name for token in services.tokens_of(focal)] == ["New", "Old"]
