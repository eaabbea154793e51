"""Finding reports: full text (inside the PDFs too), facets counted after filtering, and
who sees which report. The same on SQLite (FTS5) and PostgreSQL (text search)."""

from __future__ import annotations

from datetime import date

import pytest

from coalition.members.visibility import FOCAL, MEMBERS, PUBLIC
from coalition.reports import queries, services
from coalition.reports.queries import ReportFilter
from tests.factories import SYSTEM, make_report, pdf_bytes


def _slugs(filters: ReportFilter, who: str = PUBLIC) -> list[str]:
    return [report.slug for report in queries.listing(filters, who, 1).items]


def _counts(values) -> dict[str, int]:
    return {value.value: value.count for value in values}


def test_a_word_only_inside_a_pdf_finds_the_report(app):
    make_report(title="Annual report", slug="annual",
                files=[(pdf_bytes("Annual report", "On page one.", "Sextortion cases rose "
                                  "sharply in the region."), "annual.pdf")])
    make_report(title="Another report", slug="other")
    assert _slugs(ReportFilter(q="sextortion")) == ["annual"]
    assert _slugs(ReportFilter(q="SEXTORTION rose")) == ["annual"]
    assert _slugs(ReportFilter(q="sextortion bicycle")) == []


def test_words_match_as_prefixes_and_accents_do_not_matter(app):
    make_report(title="Children and youth online", slug="children", summary="Éducation "
                "numérique pour les enfants.", language="fr")
    assert _slugs(ReportFilter(q="child")) == ["children"]
    assert _slugs(ReportFilter(q="education numerique")) == ["children"]


def test_metadata_is_searched_too(app):
    make_report(title="Guidelines", slug="guidelines", authors="Ana Author\nUNICEF",
                tags=["industry"])
    for query in ("unicef", "ana author", "industry", "guidelines"):
        assert _slugs(ReportFilter(q=query)) == ["guidelines"], query


@pytest.mark.parametrize("query", ['"', "*", "a OR b", "NEAR(x)", "foo:*", "!", "'; DROP",
                                   "&|", "(", "-x", "^"])
def test_search_syntax_in_the_box_is_just_text(app, query):
    make_report(title="Plain")
    queries.listing(ReportFilter(q=query), PUBLIC, 1)  # no error from either engine


def test_searching_ranks_the_better_match_first(app):
    make_report(title="Encryption", slug="mention", summary="Encryption is mentioned once.",
                published_on=date(2020, 1, 1))
    make_report(title="Encryption and child protection", slug="about",
                summary="Encryption, encryption, encryption: the whole paper is about "
                        "encryption.", published_on=date(2015, 1, 1))
    assert _slugs(ReportFilter(q="encryption")) == ["about", "mention"]
    assert _slugs(ReportFilter(q="encryption", sort="newest")) == ["mention", "about"]


def test_listing_is_newest_first_and_filters_combine(app):
    make_report(slug="a", type="annual_report", published_on=date(2016, 3, 1),
                language="en", tags=["education"])
    make_report(slug="b", type="annual_report", published_on=date(2017, 3, 1),
                language="fr", tags=["education", "industry"])
    make_report(slug="c", type="policy_paper", published_on=date(2016, 9, 1),
                language="en", tags=["industry"])
    assert _slugs(ReportFilter()) == ["b", "c", "a"]
    assert _slugs(ReportFilter(type="annual_report")) == ["b", "a"]
    assert _slugs(ReportFilter(year=2016)) == ["c", "a"]
    assert _slugs(ReportFilter(language="fr")) == ["b"]
    assert _slugs(ReportFilter(tags=["education", "industry"])) == ["b"]
    assert _slugs(ReportFilter(type="annual_report", year=2016)) == ["a"]


def test_facets_count_the_reports_the_filters_find(app):
    make_report(type="annual_report", published_on=date(2016, 3, 1), tags=["education"])
    make_report(type="annual_report", published_on=date(2017, 3, 1), language="fr",
                tags=["education", "industry"])
    make_report(type="policy_paper", published_on=date(2016, 9, 1), tags=["industry"])
    make_report(type="policy_paper", published_on=date(2016, 10, 1), visibility="draft",
                tags=["industry"])

    everything = queries.facets(ReportFilter(), PUBLIC)
    assert _counts(everything.type) == {"annual_report": 2, "policy_paper": 1}
    assert _counts(everything.year) == {"2016": 2, "2017": 1}
    assert [value.value for value in everything.year] == ["2017", "2016"]  # newest first
    assert _counts(everything.tag) == {"education": 2, "industry": 2}

    annual = queries.facets(ReportFilter(type="annual_report"), PUBLIC)
    assert _counts(annual.year) == {"2016": 1, "2017": 1}
    assert _counts(annual.language) == {"en": 1, "fr": 1}
    assert _counts(annual.tag) == {"education": 2, "industry": 1}
    assert [value.selected for value in annual.type] == [True]

    in_2016 = queries.facets(ReportFilter(year=2016), PUBLIC)
    assert _counts(in_2016.type) == {"annual_report": 1, "policy_paper": 1}
    # The focal contact's counts include the draft.
    assert _counts(queries.facets(ReportFilter(year=2016), FOCAL).type) == {
        "annual_report": 1, "policy_paper": 2}


def test_facets_follow_the_search_too(app):
    make_report(type="annual_report", files=[(pdf_bytes("x", "grooming"), "a.pdf")])
    make_report(type="policy_paper")
    assert _counts(queries.facets(ReportFilter(q="grooming"), PUBLIC).type) == {
        "annual_report": 1}


def test_each_audience_sees_its_reports(app, member, focal):
    public = make_report(visibility="public", slug="public")
    members_only = make_report(visibility="members", slug="members-only")
    draft = make_report(visibility="draft", slug="draft")
    archived = make_report(visibility="public", slug="withdrawn")
    services.set_archived(SYSTEM, archived, True)
    assert _slugs(ReportFilter(), PUBLIC) == ["public"]
    assert sorted(_slugs(ReportFilter(), MEMBERS)) == ["members-only", "public"]
    assert sorted(_slugs(ReportFilter(), FOCAL)) == ["draft", "members-only", "public"]
    assert _slugs(ReportFilter(archived=True), FOCAL) == ["withdrawn"]
    assert _slugs(ReportFilter(archived=True), PUBLIC) == ["public"]  # not for them
    assert [queries.can_see(r, None) for r in (public, members_only, draft, archived)] == \
        [True, False, False, False]
    assert [queries.can_see(r, member) for r in (public, members_only, draft, archived)] == \
        [True, True, False, False]
    assert [queries.can_see(r, focal) for r in (public, members_only, draft, archived)] == \
        [True, True, True, True]
    assert [r.slug for r in queries.public_reports()] == ["public"]


def test_a_draft_is_never_found_by_the_public_even_by_a_word_inside_it(app):
    make_report(visibility="draft", files=[(pdf_bytes("x", "confidential zebra"), "a.pdf")])
    assert _slugs(ReportFilter(q="zebra")) == []
    assert _slugs(ReportFilter(q="zebra"), FOCAL) != []


def test_tag_facet_counts_after_a_tag_filter(app):
    make_report(tags=["education", "industry"])
    make_report(tags=["education"])
    make_report(tags=["industry"])
    assert _counts(queries.facets(ReportFilter(tags=["education"]), PUBLIC).tag) == {
        "education": 2, "industry": 1}
