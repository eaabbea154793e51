"""Gate 3: the access matrix. Every URL rule the app registers has a row (in the MATRIX of
its area's tests/<area>/pages.py) with what each of anonymous, member and focal contact
gets, for GET and for POST.

A row: the rule exactly as `coalition routes` prints it, a sample URL (placeholders are
filled from the representative data the areas' add_samples make), and the outcome for
(anonymous, member, focal contact) for GET and for POST. Object-level rules (a member
editing someone else's record) have their own tests beside each feature.
"""

from __future__ import annotations

import pytest

from coalition.extensions import db
from tests.conftest import Client, make_test_app
from tests.quality import catalog
from tests.quality.catalog import (
    ANONYMOUS,
    FORBIDDEN,
    LOGIN,
    NO,
    NOT_FOUND,
    OK,
    ROLES,
    UNAUTHORIZED,
)

MATRIX = catalog.matrix()


def test_every_route_is_in_the_matrix(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    missing = sorted(rules - MATRIX.keys())
    stale = sorted(MATRIX.keys() - rules)
    assert not missing, (
        f"routes missing from the access matrix: {missing}. Add a row to the MATRIX in "
        "tests/<area>/pages.py saying what anonymous visitors, members and focal contacts "
        "get for GET and POST.")
    assert not stale, f"the access matrix lists routes the app no longer has: {stale}"


def outcome(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308) and \
            response.headers["Location"].startswith("/login"):
        return LOGIN
    return {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 405: NO}.get(
        response.status_code, OK)


@pytest.fixture
def sampled_app(sampled_database, tmp_path):
    url, samples = sampled_database
    app = make_test_app(url, tmp_path / "instance")
    app.test_client_class = Client
    with app.app_context():
        yield app, samples
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("rule", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(sampled_app, rule):
    app, samples = sampled_app
    sample, get_expected, post_expected = MATRIX[rule]
    url = sample.format(**vars(samples))
    # The focal contact comes last: its POSTs may change the data the others would see.
    seen = []
    for role, want_get, want_post in zip(ROLES, get_expected, post_expected, strict=True):
        client = app.test_client()
        if role != ANONYMOUS:
            client.post("/login", data={"email": samples.emails[role],
                                        "password": catalog.PASSWORD})
        got_get = outcome(client.get(url))
        got_post = outcome(client.post(url, data={}))
        seen.append((role, "GET", want_get, got_get))
        seen.append((role, "POST", want_post, got_post))
    wrong = [f"{role} {method} {url}: expected {want}, got {got}"
             for role, method, want, got in seen if want != got]
    assert not wrong, f"access matrix row {rule!r}:\n" + "\n".join(wrong)
