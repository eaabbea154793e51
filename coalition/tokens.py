"""Signed, expiring tokens for e-mailed links (invitations, password resets, confirmations).

The expiry travels inside the signed payload and is checked against a `now` the caller
passes, so expiry is exact and testable without touching the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


class TokenInvalid(Exception):
    """The token was altered, truncated, or made for another purpose."""


class TokenExpired(Exception):
    """The token is genuine but past its expiry."""

    def __init__(self, payload: Any):
        super().__init__("token expired")
        self.payload = payload


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"coalition.{purpose}")


def make_token(purpose: str, payload: Any, expires_at: datetime) -> str:
    return _serializer(purpose).dumps({"d": payload, "e": int(expires_at.timestamp())})


def read_token(purpose: str, token: str, now: datetime) -> Any:
    try:
        data = _serializer(purpose).loads(token)
        payload, expires = data["d"], datetime.fromtimestamp(data["e"], UTC)
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError) as error:
        raise TokenInvalid() from error
    if now >= expires:
        raise TokenExpired(payload)
    return payload
