"""The Atom feed, the sitemap and robots.txt: valid to real parsers, public reports only
(also when a focal contact asks), absolute links, and cacheable."""

from __future__ import annotations

from datetime import date, timedelta
from urllib import robotparser
from xml.etree import ElementTree as ET

import feedparser
import pytest

from coalition.extensions import db
from coalition.reports import services
from coalition.reports.models import Report
from tests.factories import SYSTEM, make_report, pdf_bytes

BASE = "http://coalition.test"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HIDDEN = ("a-draft", "for-members", "archived-public")


@pytest.fixture
def archive(app) -> dict[str, Report]:
    """Two public reports, and one report of each kind the public must never see."""
    reports = {
        "annual": make_report(
            title="Annual report 2016", slug="annual-2016", type="annual_report",
            published_on=date(2016, 12, 1), authors="Amara Diallo\nChild Safety Network",
            summary="What the coalition did in 2016.", tags=["sextortion", "education"],
            files=[(pdf_bytes("Annual report 2016", "Findings."), "annual.pdf")]),
        "paper": make_report(title="Age assurance paper", slug="age-assurance",
                             published_on=date(2017, 3, 1), authors=""),
        "draft": make_report(visibility="draft", title="A draft", slug="a-draft"),
        "members": make_report(visibility="members", title="For members", slug="for-members"),
        "archived": make_report(title="Archived public report", slug="archived-public"),
    }
    services.set_archived(SYSTEM, reports["archived"], True)
    db.session.commit()
    return reports


def _feed(client):
    response = client.get("/reports/feed.atom")
    assert response.status_code == 200
    return response, feedparser.parse(response.data)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "focal contact"])
def test_the_feed_is_valid_atom_with_the_public_reports_only(archive, client, login, focal,
                                                               signed_in):
    if signed_in:
        login(focal)
    response, feed = _feed(client)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Test Coalition reports"
    assert feed.feed.id == f"{BASE}/reports/feed.atom"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": f"{BASE}/reports/feed.atom", "alternate": f"{BASE}/reports/"}
    # Newest publication first; nothing a stranger may not read.
    assert [entry.title for entry in feed.entries] == ["Age assurance paper",
                                                       "Annual report 2016"]
    body = response.get_data(as_text=True)
    for slug in HIDDEN:
        assert slug not in body
    assert "A draft" not in body and "For members" not in body


def test_each_entry_links_to_its_page_and_offers_its_files(archive, client):
    _, feed = _feed(client)
    entry = next(e for e in feed.entries if e.title == "Annual report 2016")
    report, row = archive["annual"], archive["annual"].current_files[0]
    assert entry.id == f"{BASE}/reports/annual-2016"
    assert entry.link == f"{BASE}/reports/annual-2016"
    assert entry.summary == "What the coalition did in 2016."
    assert [author.name for author in entry.authors] == ["Amara Diallo",
                                                         "Child Safety Network"]
    assert {tag.term for tag in entry.tags} == {"annual_report", "sextortion", "education"}
    assert [(e.href, e.type, e.length) for e in entry.enclosures] == [
        (f"{BASE}/reports/annual-2016/files/{row.id}/annual.pdf", "application/pdf",
         str(row.size))]
    assert entry.updated == report.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry.published == report.first_published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert feed.feed.updated == max(r.updated_at for r in (archive["annual"], archive["paper"])
                                    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    # A report without authors is the coalition's own.
    paper = next(e for e in feed.entries if e.title == "Age assurance paper")
    assert [author.name for author in paper.authors] == ["Test Coalition"]


def test_a_replaced_file_leaves_the_feed_for_its_new_version(archive, client):
    old = archive["annual"].current_files[0]
    new = services.replace_file(SYSTEM, old, services.FileInput(
        pdf_bytes("Annual report 2016", "Corrected findings."), "annual-v2.pdf"))
    db.session.commit()
    _, feed = _feed(client)
    entry = next(e for e in feed.entries if e.title == "Annual report 2016")
    assert [e.href for e in entry.enclosures] == [
        f"{BASE}/reports/annual-2016/files/{new.id}/annual-v2.pdf"]


def test_an_empty_archive_still_gives_a_valid_feed(client):
    response, feed = _feed(client)
    assert not feed.bozo and feed.version == "atom10"
    assert feed.entries == []
    assert feed.feed.updated == "1970-01-01T00:00:00Z"


def test_the_feed_holds_the_fifty_newest(app, client):
    for day in range(1, 53):
        make_report(title=f"Note {day}", slug=f"note-{day}", files=[],
                    external_url="https://example.org/note",
                    published_on=date(2018, 1, 1) + timedelta(days=day))
    _, feed = _feed(client)
    assert len(feed.entries) == 50
    assert feed.entries[0].title == "Note 52"
    assert "Note 1" not in {entry.title for entry in feed.entries}
    assert "Note 2" not in {entry.title for entry in feed.entries}


def test_the_feed_is_cacheable_and_answers_304_when_unchanged(archive, client):
    response, _ = _feed(client)
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    again = client.get("/reports/feed.atom",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/reports/feed.atom",
                       headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    make_report(title="Brand new report")
    changed = client.get("/reports/feed.atom",
                         headers={"If-None-Match": response.headers["ETag"]})
    assert changed.status_code == 200
    assert "Brand new report" in changed.get_data(as_text=True)


def test_the_feed_refuses_post(client):
    assert client.post("/reports/feed.atom").status_code == 405


# --- the sitemap and robots.txt -------------------------------------------------------

def _sitemap(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.data)  # noqa: S314 (our own answer, in a test)
    assert root.tag == f"{SITEMAP}urlset"
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
            for url in root.findall(f"{SITEMAP}url")}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "focal contact"])
def test_the_sitemap_lists_the_public_pages_and_public_reports_only(archive, client, login,
                                                                    focal, signed_in):
    if signed_in:
        login(focal)
    urls = _sitemap(client)
    assert set(urls) == {f"{BASE}/", f"{BASE}/reports/", f"{BASE}/members/",
                         f"{BASE}/organizations/", f"{BASE}/balance",
                         f"{BASE}/reports/annual-2016", f"{BASE}/reports/age-assurance"}
    annual = archive["annual"]
    assert urls[f"{BASE}/reports/annual-2016"] == \
        annual.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert urls[f"{BASE}/reports/"] is not None


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_accounts(client):
    response = client.get("/robots.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert f"Sitemap: {BASE}/sitemap.xml" in text.splitlines()
    rules = robotparser.RobotFileParser()
    rules.parse(text.splitlines())
    assert rules.can_fetch("AnyBot", f"{BASE}/reports/annual-2016")
    assert rules.can_fetch("AnyBot", f"{BASE}/")
    for private in ("/api/v1/reports", "/login", "/password/forgot", "/account/tokens",
                    "/invitations/abc"):
        assert not rules.can_fetch("AnyBot", f"{BASE}{private}"), private
    assert rules.site_maps() == [f"{BASE}/sitemap.xml"]


def test_characters_xml_cannot_carry_do_not_break_the_feed(app, client):
    make_report(title="Pasted\x07 from a word processor", summary="Line\x0c one\x01.")
    _, feed = _feed(client)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries[0].title == "Pasted from a word processor"
