"""The catalog of pages covers every page route, so every gate sees every page."""

from __future__ import annotations

from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.quality.catalog import not_pages

NOT_PAGES = {"static", "test_error"}  # files, and the catalog's own failing route


def test_every_page_route_is_in_the_catalog(app, rendered_pages):
    adapter = app.url_map.bind("coalition.test")
    covered = set()
    for page in rendered_pages:
        try:
            endpoint, _ = adapter.match(page.case.path.split("?")[0], method="GET")
        except (NotFound, MethodNotAllowed):
            continue
        covered.add(endpoint)
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint not in NOT_PAGES | not_pages()
             and not rule.rule.startswith("/api/")}  # JSON answers: tests/api/ checks them
    missing = sorted(pages - covered)
    assert not missing, (
        f"pages with no entry in tests/quality/catalog.py cases(): {missing}; add a Case for "
        "each (with representative data) so the HTML, accessibility and header gates see it")
