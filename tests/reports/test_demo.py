"""The demo reports `coalition demo load` adds: search finds a word that is only inside a
PDF, and what is not public stays hidden from the public."""

from __future__ import annotations

from sqlalchemy import func, select

from coalition.members.visibility import FOCAL, MEMBERS, PUBLIC
from coalition.reports import demo
from coalition.reports.models import Report
from coalition.reports.queries import ReportFilter, listing

GUIDELINES = "guidelines-for-industry-reporting-csam"


def load_demo(runner, db) -> list[Report]:
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return list(db.session.scalars(select(Report).order_by(Report.published_on)))


def slugs(who: str, q: str = "") -> set[str]:
    return {report.slug for report in listing(ReportFilter(q=q), who, 1).items}


def test_a_word_only_inside_a_pdf_finds_its_report(runner, db):
    reports = load_demo(runner, db)
    assert demo.PDF_ONLY_WORD in demo.__doc__
    for report in reports:
        metadata = " ".join([report.title, report.summary or "", report.authors or "",
                             *report.tags]).lower()
        assert demo.PDF_ONLY_WORD not in metadata, report.slug
    assert slugs(PUBLIC, demo.PDF_ONLY_WORD) == {GUIDELINES}
    (guidelines,) = [r for r in reports if r.slug == GUIDELINES]
    assert demo.PDF_ONLY_WORD in guidelines.current_files[0].text.lower()
    assert guidelines.current_files[0].page_count >= 3


def test_drafts_and_members_only_reports_stay_hidden_from_the_public(runner, db):
    reports = load_demo(runner, db)
    by_visibility = {v: [r.slug for r in reports if r.visibility == v]
                     for v in ("draft", "members", "public")}
    assert by_visibility["draft"] == ["annual-report-fy17"]
    assert by_visibility["members"] == ["end-to-end-encryption-and-child-protection"]
    assert slugs(PUBLIC) == set(by_visibility["public"])
    assert slugs(MEMBERS) == {*by_visibility["public"], *by_visibility["members"]}
    assert slugs(FOCAL) == {r.slug for r in reports}
    assert slugs(PUBLIC, "FY17 draft") == set() and \
        slugs(FOCAL, "FY17 draft") == {"annual-report-fy17"}


def test_the_demo_archive_is_varied(runner, db):
    reports = load_demo(runner, db)
    assert 6 <= len(reports) <= 8
    assert {r.language for r in reports} == {"en", "es", "fr"}
    assert len({r.type for r in reports}) >= 6
    assert {"child safety", "education", "industry", "encryption", "youth participation"} <= \
        {tag for r in reports for tag in r.tags}
    (link_only,) = [r for r in reports if not r.files]
    assert link_only.external_url.startswith("https://") and link_only.visibility == "public"
    (annual,) = [r for r in reports if r.slug == "annual-report-fy16"]
    earlier = [f for f in annual.files if f.replaced_at is not None]
    assert len(earlier) == 1 and len(annual.current_files) == 1
    assert "52 members" in earlier[0].text and "58 members" in annual.current_files[0].text


def test_loading_again_if_empty_adds_no_reports(runner, db):
    count = len(load_demo(runner, db))
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "Demo data loaded" not in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Report)) == count
