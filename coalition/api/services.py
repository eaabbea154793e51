"""Personal access tokens: created and revoked by focal contacts, checked on every API call."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coalition.api.models import TOKEN_PREFIX, ApiToken, hash_token
from coalition.audit import services as audit
from coalition.auth.models import Actor, User, is_active_focal_contact
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.validation import clean_name

HINT_LENGTH = len(TOKEN_PREFIX) + 4  # "coa_AbCd": enough to tell tokens apart, useless to guess
# last_used_at is a guide for people ("is this token still in use?"), not a log: writing it
# on every request would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_SECRET_LENGTH = 200  # longer is not one of ours; refuse it before hashing


def _require_focal_contact(actor: Actor) -> None:
    if not is_active_focal_contact(actor):
        raise PermissionDenied("Only a focal contact can manage API tokens.")


def _may_hold_tokens(user: User) -> bool:
    """Tokens are listed and revoked on the focal contact's own page, so only an active focal
    contact holds one: a token of anybody else would be one nobody could see or revoke."""
    return user.is_active and user.is_focal_contact


def tokens_of(user: User) -> list[ApiToken]:
    """`user`'s tokens, newest first, revoked ones included (they stay for the record)."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def create_token(actor: Actor, *, name: str, owner: User | None = None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `owner` (the acting focal contact unless a command says otherwise),
    and its secret. The secret is returned this once and stored only as its SHA-256 hash.

    A focal contact creates tokens only for themselves: a token acts as its owner, so one
    made for somebody else would let the maker act, and be audited, in another's name.
    Commands (a SystemActor, run by whoever runs the server) may create one for any active
    focal contact.
    """
    _require_focal_contact(actor)
    if owner is None:
        if not isinstance(actor, User):
            raise ValidationError("owner", "Say whose token this is.")
        owner = actor
    if isinstance(actor, User) and owner.id != actor.id:
        raise PermissionDenied("You can create API tokens only for yourself.")
    if not _may_hold_tokens(owner):
        raise ValidationError("owner", "Only an active focal contact can hold an API token.")
    name = clean_name(name, "name", max_length=100)
    if any(token.name.lower() == name.lower() and token.is_active for token in tokens_of(owner)):
        raise ValidationError("name", "You already have a token with this name. Choose "
                                      "another, so you can tell them apart.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(secret),
                     hint=secret[:HINT_LENGTH], created_by_id=getattr(actor, "id", None),
                     created_at=now or utcnow())
    db.session.add(token)
    audit.record(actor, "create", token, {"name": [None, name], "hint": [None, token.hint],
                                          "user": [None, owner.email]},
                 summary=f"API token {name!r} for {owner.email}")
    return token, secret


def revoke_token(actor: Actor, token: ApiToken, now: datetime | None = None) -> None:
    """Stop `token` working at once. Kept (never deleted) so the list and the audit trail
    still say what it was; revoking a revoked token changes nothing."""
    _require_focal_contact(actor)
    if isinstance(actor, User) and token.user_id != actor.id:
        raise PermissionDenied("You can revoke only your own API tokens.")
    if token.revoked_at is not None:
        return
    token.revoked_at = now or utcnow()
    db.session.flush()
    audit.record(actor, "revoke", token, {"revoked_at": [None, token.revoked_at.isoformat()]},
                 summary=f"API token {token.name!r} revoked")


def authenticate_token(secret: str, now: datetime | None = None) -> User | None:
    """The user a token's secret stands for, or None (unknown, revoked, or its owner is no
    longer an active focal contact). Notes when it was last used, at most once a minute."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
        return None
    # Looked up by hash: the database never sees the secret, and the comparison does not
    # depend on how much of a guessed secret is right.
    token = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == hash_token(secret)))
    if token is None or not token.is_active or not _may_hold_tokens(token.user):
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return token.user
