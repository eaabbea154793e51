"""The home page for the quality gates."""

from __future__ import annotations

from tests.quality.catalog import ANONYMOUS, EVERYONE, FOCAL, MEMBER, NOBODY, Case, Samples


def cases(s: Samples) -> list[Case]:
    return [
        Case("home", ANONYMOUS, "/"),
        Case("member home", MEMBER, "/"),
        Case("focal contact home", FOCAL, "/"),
    ]


MATRIX = {
    "/": ("/", EVERYONE, NOBODY),
    "/healthz": ("/healthz", EVERYONE, NOBODY),
}

NOT_PAGES = {"main.health"}  # plain text for load balancers: tests/main/test_health.py
