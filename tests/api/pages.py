"""The JSON API and the token page for the quality gates: tokens to list, access rows."""

from __future__ import annotations

from datetime import timedelta

from coalition.api import services
from coalition.auth.models import User
from coalition.db import utcnow
from coalition.extensions import db
from tests.factories import make_member
from tests.quality.catalog import (
    API_SIGNED_IN,
    FOCAL,
    FOCAL_ONLY,
    NOBODY,
    Case,
    Samples,
)


def add_samples(s: Samples) -> None:
    """The focal contact's tokens: one in use, one never used, one revoked."""
    focal = db.session.get(User, s.focal_user_id)
    now = utcnow()
    used, secret = services.create_token(focal, name="Website member list",
                                         now=now - timedelta(days=30))
    services.authenticate_token(secret, now - timedelta(hours=2))
    services.create_token(focal, name="Spreadsheet import", now=now - timedelta(days=3))
    old, _ = services.create_token(focal, name="Old script", now=now - timedelta(days=90))
    services.revoke_token(focal, old, now=now - timedelta(days=60))
    s.api_token_id = used.id
    s.api_member_id = make_member(name="Api Sample Member").id


def cases(s: Samples) -> list[Case]:
    # The /api/v1/ routes answer JSON, not pages; tests/api/test_members_api.py covers them.
    return [
        Case("API tokens", FOCAL, "/account/tokens"),
        Case("API token created", FOCAL, "/account/tokens", "POST",
             {"name": "Catalog new token"}),
        Case("API token without a name", FOCAL, "/account/tokens", "POST", {"name": ""}, 400),
    ]


MATRIX = {
    "/api/v1/members": ("/api/v1/members", API_SIGNED_IN, NOBODY),
    "/api/v1/members/<int:member_id>": ("/api/v1/members/{api_member_id}", API_SIGNED_IN,
                                        NOBODY),
    "/api/v1/organizations": ("/api/v1/organizations", API_SIGNED_IN, NOBODY),
    "/account/tokens": ("/account/tokens", FOCAL_ONLY, FOCAL_ONLY),
    "/account/tokens/<int:token_id>/revoke": ("/account/tokens/{api_token_id}/revoke",
                                              NOBODY, FOCAL_ONLY),
}
