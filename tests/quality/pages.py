"""App-wide pages for the quality gates: the error pages, and static files."""

from __future__ import annotations

from tests.quality.catalog import ANONYMOUS, EVERYONE, NOBODY, Case, Samples


def cases(s: Samples) -> list[Case]:
    return [
        Case("page not found", ANONYMOUS, "/no/such/page", status=404),
        Case("form without CSRF token", ANONYMOUS, "/password/forgot", "POST",
             {"email": "x@example.org"}, 400, csrf=False),
        Case("request too large", ANONYMOUS, "/password/forgot", "POST",
             {"email": "x" * (21 * 1024 * 1024)}, 413),
        Case("server error", ANONYMOUS, "/__test__/error", status=500),
    ]


MATRIX = {
    "/static/<path:filename>": ("/static/style.css", EVERYONE, NOBODY),
}
