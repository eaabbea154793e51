"""The public report pages: the listing (search, facets, sorting, pages) and a report's
page, as the public, a member and a focal contact see them."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from coalition.extensions import db
from coalition.reports import services
from coalition.templating import filesize as human_size
from tests.factories import SYSTEM, make_report, pdf_bytes

BASE = "http://coalition.test"


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def titles(body: str) -> list[str]:
    """The titles of the listing's results, in order."""
    return [html.unescape(t) for t in re.findall(
        r'<li class="report-item">\s*<h3><a href="[^"]*"[^>]*>([^<]*)</a>', body)]


def facet(body: str, name: str) -> dict[str, tuple[int, bool]]:
    """A facet's values: label -> (count, selected)."""
    block = re.search(rf'<h3 id="facet-{name}">.*?</ul>', body, re.S)
    if block is None:
        return {}
    values = {}
    for link in re.findall(r"<a [^>]*>.*?</a>", block.group(0), re.S):
        label = re.sub(r"<span[^>]*>.*?</span>", "", link.split(">", 1)[1], flags=re.S)
        label = html.unescape(re.sub(r"<[^>]+>", "", label)).strip()
        count = int(re.search(r'class="facet-count">\((\d+)\)', link).group(1))
        values[label] = (count, 'aria-current="true"' in link)
    return values


def facet_url(body: str, name: str, label: str) -> str:
    block = re.search(rf'<h3 id="facet-{name}">.*?</ul>', body, re.S).group(0)
    for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', block, re.S):
        if re.search(rf"(^|>|\s){re.escape(html.escape(label))} <span", inner):
            return html.unescape(href)
    raise AssertionError(f"no {label!r} in the {name} facet")


@pytest.fixture
def three(app):
    """Two annual reports (2016, 2017) and a policy paper (2016)."""
    return {
        "annual16": make_report(title="Annual report 2016", type="annual_report",
                                published_on=date(2016, 12, 1), tags=["helplines"]),
        "annual17": make_report(title="Annual report 2017", type="annual_report",
                                published_on=date(2017, 12, 1), tags=["helplines", "igf"],
                                language="fr"),
        "paper16": make_report(title="Policy paper on age assurance", type="policy_paper",
                               published_on=date(2016, 3, 1), tags=["age assurance"]),
    }


# --- search ---------------------------------------------------------------------------

def test_a_word_only_inside_a_pdf_finds_the_report(app, client):
    make_report(title="Helpline survey", summary="Findings of the survey.", tags=["survey"],
                files=[(pdf_bytes("Helpline survey", "Sextortion cases doubled in a year."),
                        "survey.pdf")])
    make_report(title="Another report", summary="Nothing about it.")
    body = page_text(client.get("/reports/?q=sextortion"))
    assert titles(body) == ["Helpline survey"]
    assert "1 report found for “sextortion”." in body
    assert "Your search words are in the text of its files." in body
    assert '<input type="search" id="q" name="q" value="sextortion"' in body
    assert '<label for="q">Search reports</label>' in body


def test_search_reads_titles_authors_and_tags_and_offers_relevance(app, client):
    make_report(title="Helpline survey", authors="Amara Diallo", tags=["hotlines"])
    make_report(title="Other")
    for words in ("helpline", "diallo", "hotlines"):
        assert titles(page_text(client.get(f"/reports/?q={words}"))) == ["Helpline survey"]
    body = page_text(client.get("/reports/?q=survey"))
    assert '<option value="relevance" selected>Relevance</option>' in body
    assert "Your search words are in the text of its files." not in body
    assert 'value="relevance"' not in page_text(client.get("/reports/"))


def test_a_word_in_a_long_summary_is_not_credited_to_the_files(app, client):
    make_report(title="Résumé of the year", summary=" ".join(["word"] * 30) + " hotlines")
    body = page_text(client.get("/reports/?q=hotlines+resume"))
    assert titles(body) == ["Résumé of the year"]
    assert "Your search words are in the text of its files." not in body


def test_nothing_found_says_so_and_offers_to_clear_the_filters(app, client, three):
    body = page_text(client.get("/reports/?q=zzyzx&type=annual_report"))
    assert "No report matches “zzyzx” with these filters." in body
    assert '<a href="/reports/">clear all filters</a>' in body
    assert titles(body) == []


def test_the_listing_is_newest_first_and_sorts_on_request(app, client, three):
    assert titles(page_text(client.get("/reports/"))) == [
        "Annual report 2017", "Annual report 2016", "Policy paper on age assurance"]
    assert titles(page_text(client.get("/reports/?sort=oldest")))[0] == \
        "Policy paper on age assurance"
    assert titles(page_text(client.get("/reports/?sort=title"))) == [
        "Annual report 2016", "Annual report 2017", "Policy paper on age assurance"]
    body = page_text(client.get("/reports/"))
    assert "3 reports." in body
    assert '<time datetime="2017-12-01">1 December 2017</time>' in body


def test_unknown_filter_values_are_ignored(app, client, three):
    body = page_text(client.get("/reports/?type=novel&year=20x6&language=xx&sort=random"
                                "&page=abc"))
    assert len(titles(body)) == 3
    assert "Filters in use" not in body
    body = page_text(client.get("/reports/?year=%C2%B2%C2%B2%C2%B2%C2%B2"))  # "²²²²"
    assert len(titles(body)) == 3


# --- facets ---------------------------------------------------------------------------

def test_facets_count_the_reports_the_filters_find(app, client, three):
    body = page_text(client.get("/reports/"))
    assert facet(body, "type") == {"Annual report": (2, False), "Policy paper": (1, False)}
    assert facet(body, "year") == {"2017": (1, False), "2016": (2, False)}
    assert facet(body, "language") == {"English": (2, False), "French": (1, False)}
    assert facet(body, "tag") == {"helplines": (2, False), "age assurance": (1, False),
                                  "igf": (1, False)}

    body = page_text(client.get("/reports/?type=annual_report"))
    assert titles(body) == ["Annual report 2017", "Annual report 2016"]
    assert facet(body, "type") == {"Annual report": (2, True)}
    assert facet(body, "year") == {"2017": (1, False), "2016": (1, False)}
    assert facet(body, "tag") == {"helplines": (2, False), "igf": (1, False)}

    body = page_text(client.get("/reports/?type=annual_report&year=2016"))
    assert titles(body) == ["Annual report 2016"]
    assert facet(body, "year") == {"2016": (1, True)}
    assert "Year: 2016" in body and "Type: Annual report" in body


def test_a_facet_link_adds_its_filter_and_keeps_the_others(app, client, three):
    body = page_text(client.get("/reports/?q=annual"))
    add_year = facet_url(body, "year", "2016")
    assert add_year == "/reports/?q=annual&year=2016"
    body = page_text(client.get(add_year))
    assert titles(body) == ["Annual report 2016"]
    remove_year = facet_url(body, "year", "2016")
    assert remove_year == "/reports/?q=annual"
    assert "Remove" in body  # the selected value says how to undo it, not by colour alone


def test_tags_are_filters_that_add_up(app, client, three):
    body = page_text(client.get("/reports/?tag=helplines"))
    assert titles(body) == ["Annual report 2017", "Annual report 2016"]
    both = facet_url(body, "tag", "igf")
    assert both == "/reports/?tag=helplines&tag=igf"
    body = page_text(client.get(both))
    assert titles(body) == ["Annual report 2017"]
    assert facet(body, "tag") == {"helplines": (1, True), "igf": (1, True)}
    assert facet_url(body, "tag", "igf") == "/reports/?tag=helplines"


def test_the_pages_keep_every_filter(app, client):
    for number in range(1, 23):
        make_report(title=f"Response {number}", type="submission", files=[],
                    published_on=date(2011, 1, number), tags=["consultation", "un"],
                    external_url=f"https://example.org/{number}")
    body = page_text(client.get("/reports/?tag=consultation&tag=un"))
    assert "22 reports." in body and "Page 1 of 2" in body
    assert len(titles(body)) == 20
    assert 'href="/reports/?tag=consultation&amp;tag=un&amp;page=2" rel="next"' in body
    body = page_text(client.get("/reports/?tag=consultation&tag=un&page=2"))
    assert titles(body) == ["Response 2", "Response 1"]


# --- who sees what --------------------------------------------------------------------

@pytest.fixture
def every_state(app):
    reports = {
        "public": make_report(title="Public paper", slug="public-paper"),
        "members": make_report(visibility="members", title="Members paper",
                               slug="members-paper"),
        "draft": make_report(visibility="draft", title="Draft paper", slug="draft-paper"),
        "archived": make_report(title="Archived paper", slug="archived-paper"),
    }
    services.set_archived(SYSTEM, reports["archived"], True)
    db.session.commit()
    return reports


def test_the_public_sees_only_public_reports(client, every_state):
    assert titles(page_text(client.get("/reports/"))) == ["Public paper"]
    assert titles(page_text(client.get("/reports/?archived=1"))) == ["Public paper"]
    assert titles(page_text(client.get("/reports/?q=paper"))) == ["Public paper"]
    for slug in ("members-paper", "draft-paper", "archived-paper"):
        response = client.get(f"/reports/{slug}")
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)
    assert "Public paper" in page_text(client.get("/reports/public-paper"))


def test_members_see_members_only_reports_but_no_draft(client, login, member, every_state):
    login(member)
    body = page_text(client.get("/reports/"))
    assert sorted(titles(body)) == ["Members paper", "Public paper"]
    assert '<span class="badge badge-report-members">Members only</span>' in body
    assert "New report" not in body and "Archived reports" not in body
    assert "Members only" in page_text(client.get("/reports/members-paper"))
    assert client.get("/reports/draft-paper").status_code == 404
    assert client.get("/reports/archived-paper").status_code == 404
    assert sorted(titles(page_text(client.get("/reports/?archived=1")))) == [
        "Members paper", "Public paper"]


def test_focal_contacts_see_drafts_and_the_archived_reports(client, login, focal,
                                                            every_state):
    login(focal)
    body = page_text(client.get("/reports/"))
    assert sorted(titles(body)) == ["Draft paper", "Members paper", "Public paper"]
    assert '<span class="badge badge-report-draft">Draft</span>' in body
    assert 'href="/reports/new">New report</a>' in body
    assert 'href="/reports/?archived=1">Archived reports</a>' in body
    assert 'href="/reports/file-types">' in body
    body = page_text(client.get("/reports/?archived=1"))
    assert titles(body) == ["Archived paper"]
    assert "<h1>Archived reports</h1>" in body
    assert '<span class="badge badge-report-archived">Archived</span>' in body

    body = page_text(client.get("/reports/draft-paper"))
    assert "<strong>Draft:</strong> only focal contacts can see this report." in body
    assert 'href="/reports/draft-paper/edit">Manage this report</a>' in body
    body = page_text(client.get("/reports/archived-paper"))
    assert "<strong>Archived</strong> on" in body


def test_the_listing_links_its_atom_feed(app, client):
    body = page_text(client.get("/reports/"))
    assert '<link rel="alternate" type="application/atom+xml"' in body
    assert 'href="/reports/feed.atom">Follow new reports (Atom feed)</a>' in body


# --- a report's page ------------------------------------------------------------------

def test_a_report_page_shows_its_metadata_files_and_citation(app, client):
    report = make_report(
        title="Annual report 2016", slug="annual-report-2016", type="annual_report",
        published_on=date(2016, 12, 15), authors="Amara Diallo\nChild Safety Network",
        summary="First <b>paragraph</b>.\n\nSecond paragraph.", language="fr",
        tags=["helplines", "igf"], external_url="https://example.org/annual-2016",
        files=[(pdf_bytes("Annual report 2016", "Text."), "Rapport annuel 2016.pdf")])
    row = report.current_files[0]
    body = page_text(client.get("/reports/annual-report-2016"))
    assert '<h1 lang="fr">Annual report 2016</h1>' in body
    assert "<dt>Type</dt><dd>Annual report</dd>" in body
    assert '<time datetime="2016-12-15">15 December 2016</time>' in body
    assert "<dt>Fiscal year</dt><dd>FY16</dd>" in body
    assert "<li>Amara Diallo</li><li>Child Safety Network</li>" in body
    assert "<dt>Language</dt><dd>French</dd>" in body
    assert '<a href="/reports/?tag=helplines">helplines</a>' in body
    assert "<p>First &lt;b&gt;paragraph&lt;/b&gt;.</p><p>Second paragraph.</p>" in body
    assert 'href="https://example.org/annual-2016"' in body
    assert "Downloaded 0 times" in body
    url = f"/reports/annual-report-2016/files/{row.id}/Rapport%20annuel%202016.pdf"
    assert f'href="{url}"' in body
    assert f"Rapport annuel 2016.pdf · PDF · {human_size(row.size)} · 1 page" in body
    assert ("Amara Diallo, Child Safety Network (2016). Annual report 2016. Test Coalition. "
            f"Annual report. {BASE}/reports/annual-report-2016") in body


def test_a_citation_without_authors_names_the_coalition(app, client):
    make_report(title="What next?", slug="what-next", authors="", type="policy_paper",
                published_on=date(2019, 1, 2))
    body = page_text(client.get("/reports/what-next"))
    assert f"Test Coalition (2019). What next? Policy paper. {BASE}/reports/what-next" in body


def test_public_reports_carry_highwire_citation_tags(app, client):
    report = make_report(title="Annual report 2016", slug="annual-2016",
                         authors="Amara Diallo\nChild Safety Network",
                         published_on=date(2016, 12, 5))
    row = report.current_files[0]
    body = page_text(client.get("/reports/annual-2016"))
    assert '<meta name="citation_title" content="Annual report 2016">' in body
    assert '<meta name="citation_author" content="Amara Diallo">' in body
    assert '<meta name="citation_author" content="Child Safety Network">' in body
    assert '<meta name="citation_publication_date" content="2016/12/05">' in body
    assert (f'<meta name="citation_pdf_url" content="{BASE}/reports/annual-2016/files/'
            f'{row.id}/{row.filename}">') in body
    assert f'<link rel="canonical" href="{BASE}/reports/annual-2016">' in body


def test_members_only_reports_have_no_citation_tags_and_are_not_indexed(client, login,
                                                                        member):
    make_report(visibility="members", title="Internal", slug="internal")
    login(member)
    body = page_text(client.get("/reports/internal"))
    assert "citation_title" not in body
    assert '<meta name="robots" content="noindex">' in body


def test_an_earlier_version_is_listed_under_the_file_that_replaced_it(app, client):
    report = make_report(title="Paper", slug="paper",
                         files=[(pdf_bytes("Paper", "First."), "paper.pdf")])
    old = report.current_files[0]
    new = services.replace_file(SYSTEM, old, services.FileInput(
        pdf_bytes("Paper", "Second."), "paper-v2.pdf", label="Full paper"))
    db.session.commit()
    body = page_text(client.get("/reports/paper"))
    assert "<h3>Full paper</h3>" in body
    assert f'href="/reports/paper/files/{new.id}/paper-v2.pdf"' in body
    earlier = re.search(r'<ul class="earlier-versions"[^>]*>(.*?)</ul>', body, re.S).group(1)
    assert "Earlier version, replaced on" in earlier
    assert f'href="/reports/paper/files/{old.id}/paper.pdf"' in earlier


def test_a_report_with_only_a_link_points_to_it(app, client):
    make_report(title="On the web", slug="on-the-web", files=[],
                external_url="https://example.org/paper")
    body = page_text(client.get("/reports/on-the-web"))
    assert '<a href="https://example.org/paper" rel="noopener">read it there</a>' in body


def test_an_unknown_report_is_not_found(app, client):
    assert client.get("/reports/no-such-report").status_code == 404


def test_sizes_are_shown_for_people():
    assert human_size(512) == "512 bytes"
    assert human_size(85_000) == "85 KB"
    assert human_size(1_234_567) == "1.2 MB"
