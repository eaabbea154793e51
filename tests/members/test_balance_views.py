"""The balance pages: the members' dashboard, the public page and the JSON API."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from coalition.members.models import Region, StakeholderGroup

# 13 active members: government 6 (Kenya 5, Japan 1), civil society 4 (Brazil),
# academia 3 (Germany 2, no country 1); plus one lapsed and one who left.
SPREAD = (("government", "KE", 5), ("government", "JP", 1), ("civil_society", "BR", 4),
          ("academia", "DE", 2), ("academia", None, 1))


@pytest.fixture
def coalition(create_member):
    for group, country, count in SPREAD:
        for _ in range(count):
            create_member(stakeholder_group=group, country=country)
    create_member(status="lapsed", stakeholder_group="private_sector", country="FR")
    create_member(status="left", stakeholder_group="private_sector", country="FR")


class MatrixCells(HTMLParser):
    """The text of each cell of the page's first table, row by row."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._tables = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._tables += 1
        if self._tables == 1 and tag == "tr":
            self.rows.append([])
        if self._tables == 1 and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def matrix(html: str) -> dict[str, dict[str, str]]:
    """{row heading: {column heading: cell text}} of the page's matrix table."""
    parser = MatrixCells()
    parser.feed(html)
    head, *rows = parser.rows
    return {row[0]: dict(zip(head[1:], row[1:], strict=True)) for row in rows}


# --- /dashboard -----------------------------------------------------------------------

def test_anonymous_visitors_sign_in_for_the_dashboard(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("who", ["member", "focal"])
def test_members_and_focal_contacts_see_every_number(client, login, coalition, request, who):
    login(request.getfixturevalue(who))

    response = client.get("/dashboard")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "13 active members" in html
    assert "1 lapsed and 1 who left are not" in html
    table = matrix(html)
    assert table["Government"]["African"] == "5 (38.5%)"
    assert table["Government"]["Asia-Pacific"] == "1 (7.7%)"  # small numbers shown in full
    assert table["Private sector"]["African"] == "0 (empty)"
    assert table["Academia"]["Unassigned"] == "1 (7.7%)"
    assert table["Total"]["Total"] == "13 (100.0%)"
    assert "Gaps: 31 of 36 cells are empty" in html
    assert "Rule met:" in html and "3 of 6 stakeholder groups are represented" in html
    assert "Missing: Private sector, Technical community, Intergovernmental." in html
    assert re.search(r"<th scope=\"row\">Japan</th>\s*<td>Asia-Pacific</td>\s*<td>1</td>",
                     html)
    assert "No country given" in html
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_dashboard_draws_its_charts_with_text_alternatives(client, login, member,
                                                               coalition):
    login(member)
    html = client.get("/dashboard").get_data(as_text=True)

    for chart in ("heat-map", "chart-groups", "chart-regions", "chart-countries"):
        assert (f'id="{chart}" role="img" aria-labelledby="{chart}-title" '
                f'aria-describedby="{chart}-desc"') in html
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "Government: 6; Civil society: 4; Private sector: 0" in html
    assert " style=" not in html and "<script" not in html


def test_the_dashboard_says_when_the_igf_rule_is_not_met(client, login, member,
                                                         create_member):
    create_member(stakeholder_group="government", country="KE")
    create_member(stakeholder_group="academia", country="KE")
    login(member)

    html = client.get("/dashboard").get_data(as_text=True)

    assert "Rule not met:" in html and "2 of 6 stakeholder groups are represented" in html


def test_the_dashboard_of_an_empty_coalition(client, login, member):
    login(member)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "0 active members" in html
    assert "No active members yet." in html


# --- /balance -------------------------------------------------------------------------

def test_the_public_page_never_shows_a_count_under_k(client, coalition):
    response = client.get("/balance")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    table = matrix(html)
    assert table["Government"]["African"].startswith("5 ")
    assert table["Civil society"]["Latin American and Caribbean"].startswith("4 ")
    assert table["Government"]["Asia-Pacific"] == "fewer than 3"  # the 1 in Japan
    assert table["Academia"]["Unassigned"] == "fewer than 3"
    assert table["Private sector"]["African"] == "0"  # no one in the group at all
    for row in table.values():
        for text in row.values():
            number = re.match(r"\d+", text)
            assert text in ("fewer than 3", "not shown") or number, text
            assert not number or int(number.group()) >= 3 or text == "0"
    # Nor in the charts, nor as a country.
    assert ">1</text>" not in html and ">2</text>" not in html
    assert "Japan" not in html
    assert "Countries with fewer than 3 active members are not listed." in html


def test_the_public_page_is_the_same_for_everyone(client, login, member, coalition):
    anonymous = matrix(client.get("/balance").get_data(as_text=True))
    login(member)
    assert matrix(client.get("/balance").get_data(as_text=True)) == anonymous


def test_the_public_page_of_a_tiny_coalition_gives_no_breakdown(client, create_member):
    create_member(stakeholder_group="government", country="KE")
    create_member(stakeholder_group="academia", country="FR")

    html = client.get("/balance").get_data(as_text=True)

    assert "has fewer than 3 active members: too few to publish a breakdown" in html
    assert "Kenya" not in html and "Government" not in html


@pytest.mark.parametrize("app_overrides", [{"BALANCE_MIN_CELL": 5}])
def test_k_is_configurable(client, coalition):
    table = matrix(client.get("/balance").get_data(as_text=True))
    assert table["Government"]["African"].startswith("5 ")
    assert table["Civil society"]["Latin American and Caribbean"] == "fewer than 5"


# --- /api/v1/balance ------------------------------------------------------------------

def test_the_api_gives_the_public_figures_with_k_and_caching(client, coalition):
    response = client.get("/api/v1/balance")
    data = response.get_json()

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert data["min_cell"] == 3
    assert data["total"] == {"count": 13, "share": 1.0, "suppressed": None}
    cells = {(c["stakeholder_group"], c["region"]): c for c in data["cells"]}
    assert len(cells) == len(StakeholderGroup) * len(Region)
    assert cells["government", "african"]["count"] == 5
    assert cells["government", "asia_pacific"] == {
        "stakeholder_group": "government", "region": "asia_pacific", "count": None,
        "share": None, "suppressed": "fewer_than_k"}
    assert "fewer_than_k" in data["suppression"]
    assert data["igf_rule"]["met"] is True
    assert data["igf_rule"]["missing"] == ["private_sector", "technical_community",
                                           "intergovernmental"]
    assert [(c["code"], c["count"]) for c in data["countries"]] == [("KE", 5), ("BR", 4)]
    assert data["countries_complete"] is False
    numbers = [item["count"] for key in ("cells", "stakeholder_groups", "regions",
                                         "countries") for item in data[key]]
    assert all(n is None or n == 0 or n >= 3 for n in numbers)


def test_the_api_is_never_cached_publicly_for_a_signed_in_user(client, login, member,
                                                               coalition):
    login(member)
    response = client.get("/api/v1/balance")
    assert response.get_json()["min_cell"] == 3
    assert "no-store" in response.headers["Cache-Control"]


def test_the_balance_routes_only_answer_get(client):
    for path in ("/dashboard", "/balance", "/api/v1/balance"):
        assert client.post(path).status_code == 405


def test_a_public_page_with_every_number_withheld_says_so(client, create_member):
    # Seven members in two groups: too few to show any number of the matrix safely.
    for group, country, count in (("technical_community", "PL", 2),
                                  ("technical_community", "DE", 1),
                                  ("technical_community", None, 2),
                                  ("intergovernmental", "PL", 1),
                                  ("intergovernmental", None, 1)):
        for _ in range(count):
            create_member(stakeholder_group=group, country=country)

    html = client.get("/balance").get_data(as_text=True)

    table = matrix(html)
    assert table["Technical community"]["Eastern European"] == "not shown"
    assert table["Total"]["Total"] == "not shown"
    assert table["Government"]["Total"] == "0"
    assert "Here is how the active members of Test Coalition spread" in html
    assert "and a few other numbers are not shown" in html
    assert "2 of 6 stakeholder groups are represented" in html
