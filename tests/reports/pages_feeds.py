"""The archive's machine-readable doors for the quality gates: the feed, the sitemap,
robots.txt and the reports API answer XML, text or JSON, not HTML pages, so they have
access rows but no page cases (tests/reports/test_feeds.py and test_api.py check them)."""

from __future__ import annotations

from tests.quality.catalog import EVERYONE, NOBODY, Case, Samples

NOT_PAGES = {"report_feeds.feed", "report_feeds.sitemap", "report_feeds.robots"}


def cases(s: Samples) -> list[Case]:
    return []


MATRIX = {
    "/reports/feed.atom": ("/reports/feed.atom", EVERYONE, NOBODY),
    "/sitemap.xml": ("/sitemap.xml", EVERYONE, NOBODY),
    "/robots.txt": ("/robots.txt", EVERYONE, NOBODY),
    # Anonymous callers are welcome: they see the public reports (the sample report is
    # tests/reports/pages.py's public one).
    "/api/v1/reports": ("/api/v1/reports", EVERYONE, NOBODY),
    "/api/v1/reports/<slug>": ("/api/v1/reports/{reports_public_slug}", EVERYONE, NOBODY),
}
