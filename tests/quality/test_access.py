"""Gate 3: the access matrix. Every URL rule the app registers is listed here with what each
of anonymous, member and focal contact gets, for GET and for POST.

Adding a route? Add its row to MATRIX: the rule exactly as `flask routes` prints it, a
sample URL (placeholders are filled from the representative data in catalog.make_samples),
and the outcome for (anonymous, member, focal contact) for GET and for POST.
Object-level rules (a member editing someone else's record) have their own tests beside
each feature.
"""

from __future__ import annotations

import pytest

from tests.quality import catalog
from tests.quality.catalog import ANONYMOUS, ROLES

OK = "allowed"  # the view ran: any answer but 403/404/405 or a trip to the login page
LOGIN = "redirect to login"
FORBIDDEN = "403"
NOT_FOUND = "404"
NO = "405"  # the method is not accepted

EVERYONE = (OK, OK, OK)
FOCAL_ONLY = (LOGIN, FORBIDDEN, OK)
SIGNED_IN = (LOGIN, OK, OK)
NOBODY = (NO, NO, NO)

# rule: (sample URL, GET for (anonymous, member, focal), POST for (anonymous, member, focal))
MATRIX: dict[str, tuple[str, tuple[str, str, str], tuple[str, str, str]]] = {
    "/": ("/", EVERYONE, NOBODY),
    "/login": ("/login", EVERYONE, EVERYONE),
    "/logout": ("/logout", NOBODY, EVERYONE),
    "/password/forgot": ("/password/forgot", EVERYONE, EVERYONE),
    "/password/reset/<token>": ("/password/reset/{reset_token}", EVERYONE, EVERYONE),
    "/invitations/<token>": ("/invitations/{invitation_token}", EVERYONE, EVERYONE),
    "/account/password": ("/account/password", SIGNED_IN, SIGNED_IN),
    "/users/": ("/users/", FOCAL_ONLY, NOBODY),
    "/users/invite": ("/users/invite", FOCAL_ONLY, FOCAL_ONLY),
    "/users/invitations/<int:invitation_id>/revoke": (
        "/users/invitations/{pending_invitation_id}/revoke", NOBODY, FOCAL_ONLY),
    "/users/<int:user_id>/<any(activate, deactivate):action>": (
        "/users/{member_id}/deactivate", NOBODY, FOCAL_ONLY),
    "/audit/": ("/audit/", FOCAL_ONLY, NOBODY),
    "/static/<path:filename>": ("/static/style.css", EVERYONE, NOBODY),
}


def test_every_route_is_in_the_matrix(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    missing = sorted(rules - MATRIX.keys())
    stale = sorted(MATRIX.keys() - rules)
    assert not missing, (
        f"routes missing from the access matrix in {__file__}: {missing}. Add a row saying "
        "what anonymous visitors, members and focal contacts get for GET and POST.")
    assert not stale, f"the access matrix lists routes the app no longer has: {stale}"


def outcome(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308) and \
            response.headers["Location"].startswith("/login"):
        return LOGIN
    return {403: FORBIDDEN, 404: NOT_FOUND, 405: NO}.get(response.status_code, OK)


@pytest.mark.parametrize("rule", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(app, rule):
    samples = catalog.make_samples()
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
