"""GET /api/v1/reports and /api/v1/reports/<slug>: who sees which report, the page's
filters, search and facets, strict parameters, and JSON errors."""

from __future__ import annotations

from datetime import date

import pytest

from coalition.api import services as tokens
from coalition.extensions import db
from coalition.reports import services
from coalition.reports.models import Report
from tests.factories import SYSTEM, make_report, pdf_bytes

BASE = "http://coalition.test"


@pytest.fixture
def archive(app) -> dict[str, Report]:
    reports = {
        "annual": make_report(
            title="Annual report 2016", slug="annual-2016", type="annual_report",
            published_on=date(2016, 12, 1), authors="Amara Diallo\nChild Safety Network",
            summary="What the coalition did.", tags=["sextortion", "education"],
            language="en",
            files=[(pdf_bytes("Annual report 2016", "The word zanzibarite is only here."),
                    "annual.pdf")]),
        "paper": make_report(title="Age assurance", slug="age-assurance", type="policy_paper",
                             published_on=date(2017, 3, 1), tags=["education"],
                             language="fr"),
        "members": make_report(visibility="members", title="For members", slug="for-members",
                               type="policy_paper", published_on=date(2017, 5, 1),
                               tags=["education"]),
        "draft": make_report(visibility="draft", title="A draft", slug="a-draft",
                             published_on=date(2018, 1, 1)),
        "archived": make_report(title="Old report", slug="old-report",
                                published_on=date(2015, 1, 1)),
    }
    services.set_archived(SYSTEM, reports["archived"], True)
    db.session.commit()
    return reports


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [report["slug"] for report in response.get_json()["reports"]]


def _error(response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()["error"]


def _bearer(user) -> dict[str, str]:
    _, secret = tokens.create_token(user, name="Report tests")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


# --- who sees what --------------------------------------------------------------------

def test_anonymous_callers_see_the_public_reports(archive, client):
    response = client.get("/api/v1/reports")
    assert _slugs(response) == ["age-assurance", "annual-2016"]
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    assert (body["total"], body["pages"], body["page"], body["next"], body["prev"]) == \
        (2, 1, 1, None, None)


def test_members_also_see_members_only_reports(archive, client, login, member):
    login(member)
    assert _slugs(client.get("/api/v1/reports")) == ["for-members", "age-assurance",
                                                     "annual-2016"]
    assert _error(client.get("/api/v1/reports?archived=true"), 422)["parameter"] == "archived"


def test_focal_contacts_also_see_drafts_and_on_request_the_archived(archive, client, login,
                                                                    focal):
    login(focal)
    assert _slugs(client.get("/api/v1/reports")) == ["a-draft", "for-members",
                                                     "age-assurance", "annual-2016"]
    archived = client.get("/api/v1/reports?archived=true")
    assert _slugs(archived) == ["old-report"]
    assert archived.get_json()["reports"][0]["archived"] is True


def test_a_bearer_token_acts_as_its_focal_contact(archive, client, focal):
    headers = _bearer(focal)
    response = client.get("/api/v1/reports", headers=headers)
    assert "a-draft" in _slugs(response)
    one = client.get("/api/v1/reports/a-draft", headers=headers)
    assert one.get_json()["visibility"] == "draft"


def test_a_bad_token_is_refused_not_treated_as_anonymous(archive, client):
    response = client.get("/api/v1/reports", headers={"Authorization": "Bearer coa_wrong"})
    assert _error(response, 401)["code"] == "invalid_token"


@pytest.mark.parametrize("slug", ["a-draft", "for-members", "old-report", "no-such-report"])
def test_a_report_the_caller_may_not_see_is_a_json_404(archive, client, slug):
    error = _error(client.get(f"/api/v1/reports/{slug}"), 404)
    assert error["code"] == "not_found"
    assert slug in error["message"]


def test_a_member_gets_a_members_only_report_but_not_a_draft(archive, client, login, member):
    login(member)
    assert client.get("/api/v1/reports/for-members").get_json()["title"] == "For members"
    _error(client.get("/api/v1/reports/a-draft"), 404)


# --- one report -----------------------------------------------------------------------

def test_a_report_in_full_with_its_files_and_earlier_versions(archive, client):
    report = archive["annual"]
    old = report.current_files[0]
    new = services.replace_file(SYSTEM, old, services.FileInput(
        pdf_bytes("Annual report 2016", "Corrected."), "annual-v2.pdf", "Full report"))
    db.session.commit()
    body = client.get("/api/v1/reports/annual-2016").get_json()
    assert body["title"] == "Annual report 2016"
    assert body["type"] == {"code": "annual_report", "label": "Annual report"}
    assert body["published_on"] == "2016-12-01"
    assert body["fiscal_year"] == "FY16"
    assert body["authors"] == ["Amara Diallo", "Child Safety Network"]
    assert body["language"] == {"code": "en", "name": "English"}
    assert body["tags"] == ["education", "sextortion"]
    assert body["visibility"] == "public"
    assert body["url"] == f"{BASE}/reports/annual-2016"
    assert body["first_published_at"].endswith("Z")
    (current,) = body["files"]
    assert current["id"] == new.id
    assert current["label"] == "Full report"
    assert current["filename"] == "annual-v2.pdf"
    assert current["content_type"] == "application/pdf"
    assert current["size"] == new.size and current["sha256"] == new.sha256
    assert current["pages"] == 1
    assert current["url"] == f"{BASE}/reports/annual-2016/files/{new.id}/annual-v2.pdf"
    (earlier,) = current["earlier_versions"]
    assert earlier["id"] == old.id and earlier["filename"] == "annual.pdf"
    assert earlier["url"] == f"{BASE}/reports/annual-2016/files/{old.id}/annual.pdf"
    assert earlier["replaced_at"].endswith("Z")


# --- search, filters, facets, pages ---------------------------------------------------

def test_a_word_only_inside_a_pdf_finds_the_report(archive, client):
    assert _slugs(client.get("/api/v1/reports?q=zanzibarite")) == ["annual-2016"]
    body = client.get("/api/v1/reports?q=zanzibarite").get_json()
    assert body["sort"] == "relevance"
    assert _slugs(client.get("/api/v1/reports?q=zanzibarite+bicycle")) == []


def test_filters_combine_and_facets_count_what_is_left(archive, client, login, member):
    login(member)
    response = client.get("/api/v1/reports?tag=education&type=policy_paper")
    assert _slugs(response) == ["for-members", "age-assurance"]
    facets = response.get_json()["facets"]
    assert facets["type"] == [{"value": "policy_paper", "label": "Policy paper", "count": 2,
                               "selected": True}]
    assert {f["value"]: f["count"] for f in facets["year"]} == {"2017": 2}
    assert {f["value"]: f["count"] for f in facets["language"]} == {"en": 1, "fr": 1}
    assert {f["value"]: f["count"] for f in facets["tag"]} == {"education": 2}
    french = client.get("/api/v1/reports?language=fr").get_json()
    assert [r["slug"] for r in french["reports"]] == ["age-assurance"]
    assert _slugs(client.get("/api/v1/reports?year=2016")) == ["annual-2016"]
    assert _slugs(client.get("/api/v1/reports?tag=education&tag=sextortion")) == \
        ["annual-2016"]


def test_facets_never_count_what_the_caller_may_not_see(archive, client):
    facets = client.get("/api/v1/reports?tag=education").get_json()["facets"]
    assert {f["value"]: f["count"] for f in facets["type"]} == {"annual_report": 1,
                                                                "policy_paper": 1}


def test_sorting(archive, client):
    assert _slugs(client.get("/api/v1/reports?sort=oldest")) == ["annual-2016",
                                                                 "age-assurance"]
    assert _slugs(client.get("/api/v1/reports?sort=title")) == ["age-assurance",
                                                                "annual-2016"]


def test_pages_link_to_each_other_with_the_same_filters(archive, client, login, member):
    login(member)
    first = client.get("/api/v1/reports?tag=education&per_page=1").get_json()
    assert (first["total"], first["pages"], first["per_page"]) == (3, 3, 1)
    assert first["prev"] is None
    assert first["next"] == f"{BASE}/api/v1/reports?tag=education&per_page=1&page=2"
    second = client.get(first["next"].removeprefix(BASE)).get_json()
    assert second["page"] == 2
    assert second["prev"] == f"{BASE}/api/v1/reports?tag=education&per_page=1&page=1"
    seen = [r["slug"] for r in first["reports"] + second["reports"]]
    third = client.get(second["next"].removeprefix(BASE)).get_json()
    assert third["next"] is None
    assert seen + [r["slug"] for r in third["reports"]] == ["for-members", "age-assurance",
                                                            "annual-2016"]


# --- bad requests ---------------------------------------------------------------------

@pytest.mark.parametrize(("query", "parameter"), [
    ("typ=annual_report", "typ"),
    ("year=16", "year"),
    ("year=twenty", "year"),
    ("per_page=101", "per_page"),
    ("per_page=0", "per_page"),
    ("page=-1", "page"),
    ("type=novel", "type"),
    ("language=xx", "language"),
    ("sort=popular", "sort"),
    ("archived=maybe", "archived"),
    ("archived=true", "archived"),
    ("q=a&q=b", "q"),
    ("q=" + "x" * 201, "q"),
    ("tag=" + "t" * 61, "tag"),
])
def test_a_bad_parameter_is_a_422_naming_it(archive, client, query, parameter):
    error = _error(client.get(f"/api/v1/reports?{query}"), 422)
    assert error["code"] == "invalid_parameter"
    assert error["parameter"] == parameter
    assert error["message"].startswith(f"{parameter}: ")


def test_one_report_takes_no_parameters(archive, client):
    assert _error(client.get("/api/v1/reports/annual-2016?format=xml"), 422)["parameter"] \
        == "format"


def test_the_reports_api_only_reads(archive, client, login, focal):
    login(focal)
    for url in ("/api/v1/reports", "/api/v1/reports/annual-2016"):
        response = client.post(url, csrf=False)
        assert _error(response, 405)["code"] == "method_not_allowed"
        assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
