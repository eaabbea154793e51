"""Every page the app can show, with representative data, as each role sees it.

Each area of the tests has a `pages.py` (tests/auth/pages.py, tests/members/pages.py, ...;
an area may split them over `pages_<part>.py` modules)
with `add_samples(samples)` (its representative data), `cases(samples)` (its pages, per
role and state), `MATRIX` (its rows of the access matrix) and, if it has any, `NOT_PAGES`
(endpoints that answer something other than HTML: feeds, files). The quality gates (HTML
validity, accessibility, security headers, access) walk all of them, and a test fails when
a GET route has no page or a rule has no row. See docs/quality.md.
"""



from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from flask import Flask

from coalition.extensions import db
from tests.factories import PASSWORD

TESTS = Path(__file__).resolve().parent.parent

# The access matrix's outcomes, for (anonymous, member, focal contact).
OK = "allowed"  # the view ran: any answer but 403/404/405 or a trip to the login page
LOGIN = "redirect to login"
FORBIDDEN = "403"
NOT_FOUND = "404"
NO = "405"  # the method is not accepted
UNAUTHORIZED = "401"  # an API call with no or a bad token
EVERYONE = (OK, OK, OK)
FOCAL_ONLY = (LOGIN, FORBIDDEN, OK)
SIGNED_IN = (LOGIN, OK, OK)
NOBODY = (NO, NO, NO)
API_SIGNED_IN = (UNAUTHORIZED, OK, OK)

ANONYMOUS, MEMBER, FOCAL = "anonymous", "member", "focal_contact"
ROLES = (ANONYMOUS, MEMBER, FOCAL)


class Samples(SimpleNamespace):
    """Ids, tokens and e-mail addresses of the representative data; each area's pages
    module adds its own (see `add_samples`)."""

    emails: dict[str, str]


@dataclass(frozen=True)
class Case:
    name: str
    role: str
    path: str
    method: str = "GET"
    data: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    csrf: bool = True


@dataclass(frozen=True)
class Rendered:
    case: Case
    status: int
    headers: list[tuple[str, str]]
    html: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def headers_named(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def _areas() -> list[ModuleType]:
    """Every `tests/<area>/pages*.py` (an area may split its pages over several modules),
    in their ORDER (areas that make users come first)."""
    modules = [importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
               for path in sorted(TESTS.glob("*/pages*.py"))]
    return sorted(modules, key=lambda module: (getattr(module, "ORDER", 50), module.__name__))


def make_samples() -> Samples:
    """Representative data for every page, made by each area in turn, then committed."""
    samples = Samples(emails={})
    for area in _areas():
        if hasattr(area, "add_samples"):
            area.add_samples(samples)
            db.session.commit()
    return samples


def cases(samples: Samples) -> list[Case]:
    return [case for area in _areas() for case in area.cases(samples)]


def matrix() -> dict[str, tuple[str, tuple[str, str, str], tuple[str, str, str]]]:
    """Every area's access-matrix rows, merged (a rule listed twice is an error)."""
    rows: dict = {}
    for area in _areas():
        for rule, row in getattr(area, "MATRIX", {}).items():
            assert rule not in rows, f"{rule} is in the access matrix of two areas"
            rows[rule] = row
    return rows


def not_pages() -> set[str]:
    """Endpoints that answer something other than an HTML page (a feed, a file, plain
    text): each area names its own in NOT_PAGES and tests them itself."""
    return {endpoint for area in _areas() for endpoint in getattr(area, "NOT_PAGES", ())}


def add_error_route(app: Flask) -> None:
    """A route that fails, so the 500 page can be rendered like any other page."""

    def fail():
        raise RuntimeError("a deliberate failure for the 500 page")

    app.add_url_rule("/__test__/error", "test_error", fail)


def render_all(app: Flask, all_cases: list[Case], samples: Samples) -> list[Rendered]:
    """Fetch every case with the test client, signed in as its role."""
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != ANONYMOUS:
            response = client.post("/login", data={"email": samples.emails[role],
                                                   "password": PASSWORD})
            assert response.status_code == 302, f"cannot sign in as {role}"
        clients[role] = client
    rendered = []
    for case in all_cases:
        client = clients[case.role]
        if case.method == "GET":
            response = client.get(case.path)
        else:
            response = client.post(case.path, data=case.data, csrf=case.csrf)
        assert response.status_code == case.status, (
            f"{case.name} ({case.role} {case.method} {case.path}): expected "
            f"{case.status}, got {response.status_code}")
        rendered.append(Rendered(case, response.status_code, list(response.headers.items()),
                                 response.get_data(as_text=True)))
    return rendered


__all__ = ["PASSWORD"]
