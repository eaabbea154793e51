"""The audit trail for the quality gates."""

from __future__ import annotations

from tests.factories import make_user
from tests.quality.catalog import FOCAL, FOCAL_ONLY, NOBODY, Case, Samples

ORDER = 90  # after every other area has made its changes


def add_samples(s: Samples) -> None:
    """Enough changes for the trail to need a second page."""
    for n in range(50):
        make_user(email=f"bulk{n}@example.org", name=f"Bulk Person {n}")


def cases(s: Samples) -> list[Case]:
    return [
        Case("audit trail", FOCAL, "/audit/"),
        Case("audit trail, page 2", FOCAL, "/audit/?page=2"),
        Case("audit trail, filtered", FOCAL,
             f"/audit/?entity_type=users&entity_id={s.member_user_id}&actor=command%3A+tests"),
    ]


MATRIX = {
    "/audit/": ("/audit/", FOCAL_ONLY, NOBODY),
}
