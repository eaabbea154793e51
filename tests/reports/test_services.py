"""Writing the archive: reports, files and versions, publishing, archiving, allowed kinds,
and the audit trail each change leaves."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.errors import PermissionDenied, ValidationError
from coalition.reports import files, services
from coalition.reports.models import Report, ReportFile
from coalition.reports.services import FileInput, ReportInput
from tests.factories import SYSTEM, make_report, pdf_bytes


def _input(**overrides) -> ReportInput:
    values = {"title": "Annual report 2016", "type": "annual_report",
              "published_on": date(2016, 12, 1)}
    values.update(overrides)
    return ReportInput(**values)


def _events(report: Report, db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "reports", AuditEvent.entity_id == str(report.id))
        .order_by(AuditEvent.id)))


def test_a_new_report_is_a_draft_with_a_slug_fiscal_year_and_stored_file(app, db):
    data = pdf_bytes("Annual report 2016", "Work on grooming prevention.")
    report = services.create_report(SYSTEM, _input(tags=["Child Safety", "child safety",
                                                         " Youth "]),
                                    [FileInput(data, "annual.pdf", "Full report")])
    db.session.commit()
    assert report.slug == "annual-report-2016"
    assert report.visibility == "draft" and report.first_published_at is None
    assert report.fiscal_year == "FY16"
    assert report.tags == ["child safety", "youth"]
    [stored] = report.files
    assert stored.label == "Full report" and stored.content_type == "application/pdf"
    assert files.storage().read(stored.sha256) == data
    assert "grooming" in report.search_text
    assert _events(report, db) == ["create"]


def test_the_fiscal_year_follows_the_configured_start_month(app, db):
    report = services.create_report(SYSTEM, _input(published_on=date(2016, 9, 1)),
                                    fy_start_month=7)
    assert report.fiscal_year == "FY17"  # July 2016 - June 2017
    report = services.create_report(SYSTEM, _input(title="Other", fiscal_year="fy 15"))
    assert report.fiscal_year == "FY15"


def test_slugs_are_unique_and_avoid_the_archive_own_addresses(app, db):
    first = services.create_report(SYSTEM, _input(title="Crème brûlée: a paper!"))
    second = services.create_report(SYSTEM, _input(title="Creme brulee - a paper"))
    reserved = services.create_report(SYSTEM, _input(title="New"))
    assert (first.slug, second.slug, reserved.slug) == (
        "creme-brulee-a-paper", "creme-brulee-a-paper-2", "new-2")
    with pytest.raises(ValidationError) as refused:
        services.create_report(SYSTEM, _input(title="X", slug="file-types"))
    assert refused.value.field == "slug"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"title": "  "}, "title", "Give the report a title."),
    ({"type": "memo"}, "type", "Choose the type of report"),
    ({"published_on": None}, "published_on", "Give the publication date"),
    ({"language": "xx"}, "language", "Choose the language"),
    ({"fiscal_year": "next year"}, "fiscal_year", "Write the fiscal year as FY16"),
    ({"external_url": "javascript:alert(1)"}, "external_url", "starting with https://"),
    ({"slug": "Bad Slug"}, "slug", "lower-case letters"),
    ({"tags": [f"t{n}" for n in range(21)]}, "tags", "at most 20 tags"),
])
def test_bad_input_is_refused_with_the_field_and_writes_nothing(app, db, overrides, field,
                                                                 message):
    with pytest.raises(ValidationError) as refused:
        services.create_report(SYSTEM, _input(**overrides),
                               [FileInput(pdf_bytes(), "r.pdf")])
    assert refused.value.field == field and message in refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(Report.id)) is None
    assert files.storage().count() == 0


def test_one_bad_file_stores_none_of_the_files(app, db):
    with pytest.raises(ValidationError, match="is not a PDF"):
        services.create_report(SYSTEM, _input(), [FileInput(pdf_bytes(), "good.pdf"),
                                                  FileInput(b"not a pdf", "bad.pdf")])
    db.session.rollback()
    assert files.storage().count() == 0
    assert db.session.scalar(select(ReportFile.id)) is None


def test_only_a_focal_contact_writes(app, db, member):
    with pytest.raises(PermissionDenied):
        services.create_report(member, _input())
    report = make_report()
    for attempt in (lambda: services.update_report(member, report, _input()),
                    lambda: services.set_visibility(member, report, "draft"),
                    lambda: services.add_file(member, report, FileInput(pdf_bytes(), "a.pdf")),
                    lambda: services.set_archived(member, report, True),
                    lambda: services.set_allowed_kinds(member, {"word"})):
        with pytest.raises(PermissionDenied):
            attempt()


def test_publishing_needs_something_to_read_and_freezes_the_slug(app, db):
    report = services.create_report(SYSTEM, _input())
    with pytest.raises(ValidationError, match="Add a file or a link"):
        services.set_visibility(SYSTEM, report, "public")
    services.update_report(SYSTEM, report, _input(external_url="https://example.org/r.pdf",
                                                  slug="annual-2016"))
    services.set_visibility(SYSTEM, report, "members")
    assert report.slug == "annual-2016" and report.first_published_at is not None
    services.set_visibility(SYSTEM, report, "draft")
    with pytest.raises(ValidationError, match="cannot change"):
        services.update_report(SYSTEM, report, _input(slug="renamed"))
    db.session.commit()
    assert _events(report, db) == ["create", "update", "publish", "unpublish"]


def test_an_update_is_audited_old_to_new_and_refreshes_the_search_text(app, db):
    report = make_report(title="Old title", summary="About bullying.")
    services.update_report(SYSTEM, report, _input(title="New title", summary="About privacy.",
                                                  tags=["privacy"]))
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.changes["title"] == ["Old title", "New title"]
    assert event.changes["tags"] == ["", "privacy"]
    assert "privacy" in report.search_text and "bullying" not in report.search_text


def test_replacing_a_file_keeps_the_earlier_version(app, db):
    report = make_report(files=[(pdf_bytes("v1", "first draft about cyberbullying"),
                                 "paper.pdf")])
    [old] = report.files
    new = services.replace_file(SYSTEM, old, FileInput(pdf_bytes("v2", "final text on "
                                                                  "sextortion"), "paper.pdf"))
    db.session.commit()
    assert old.replaced_by_id == new.id and old.replaced_at is not None
    assert report.current_files == [new]
    assert files.storage().exists(old.sha256) and files.storage().exists(new.sha256)
    # Search reads the current version only.
    assert "sextortion" in report.search_text and "cyberbullying" not in report.search_text
    with pytest.raises(ValidationError, match="already an earlier version"):
        services.replace_file(SYSTEM, old, FileInput(pdf_bytes(), "x.pdf"))


def test_archiving_and_restoring_keep_everything(app, db):
    report = make_report(visibility="public")
    services.set_archived(SYSTEM, report, True)
    assert report.is_archived and report.archived_at is not None
    assert not report.is_listed_publicly
    with pytest.raises(ValidationError, match="Restore the report"):
        services.set_visibility(SYSTEM, report, "members")
    services.set_archived(SYSTEM, report, False)
    db.session.commit()
    assert report.is_listed_publicly and len(report.files) == 1
    assert _events(report, db)[-2:] == ["archive", "restore"]


def test_allowed_kinds_are_kept_and_audited(app, db):
    services.set_allowed_kinds(SYSTEM, {"word", "png"})
    db.session.commit()
    assert services.allowed_kinds() == {"word", "png"}
    services.set_allowed_kinds(SYSTEM, {"png"})
    db.session.commit()
    assert services.allowed_kinds() == {"png"}
    changes = list(db.session.scalars(select(AuditEvent.changes).where(
        AuditEvent.action == "set_allowed_file_types").order_by(AuditEvent.id)))
    assert changes == [{"allowed": [[], ["png", "word"]]}, {"allowed": [["png", "word"], ["png"]]}]
    with pytest.raises(ValidationError):
        services.set_allowed_kinds(SYSTEM, {"exe"})


def test_downloads_are_counted_per_file_and_per_report(app, db):
    report = make_report()
    [row] = report.files
    services.count_download(row)
    services.count_download(row)
    db.session.commit()
    db.session.refresh(report)
    db.session.refresh(row)
    assert (report.download_count, row.download_count) == (2, 2)


def test_reindex_reads_the_stored_pdfs_again(app, db):
    report = make_report(files=[(pdf_bytes("T", "a word: safeguarding"), "t.pdf")])
    report.files[0].text = None
    services.refresh_search_text(report)
    assert "safeguarding" not in report.search_text
    count, problems = services.reindex(SYSTEM)
    assert (count, problems) == (1, [])
    assert "safeguarding" in report.search_text


def test_reindex_repairs_a_search_index_that_lost_its_rows(app, db, backend):
    from sqlalchemy import text

    from coalition.reports import queries

    make_report(slug="kept", files=[(pdf_bytes("T", "a word: safeguarding"), "t.pdf")])
    if backend == "sqlite":  # what a table rebuilt by a careless migration would leave
        db.session.execute(text("INSERT INTO reports_fts(reports_fts) VALUES ('delete-all')"))
        db.session.commit()
        assert queries.listing(queries.ReportFilter(q="safeguarding"), "public", 1).total == 0
    db.session.expire_all()  # as in the command: nothing loaded, every text written again
    services.reindex(SYSTEM)
    db.session.commit()
    assert [r.slug for r in queries.listing(queries.ReportFilter(q="safeguarding"), "public",
                                            1).items] == ["kept"]


@pytest.mark.parametrize(("label", "visibility", "field"), [
    ("x" * 201, "draft", "label"),
    (None, "everyone", "visibility"),
])
def test_a_bad_label_or_visibility_stores_no_file(app, db, label, visibility, field):
    with pytest.raises(ValidationError) as refused:
        services.create_report(SYSTEM, _input(), [FileInput(pdf_bytes(), "r.pdf", label)],
                               visibility=visibility)
    assert refused.value.field == field
    assert files.storage().count() == 0


def test_control_characters_never_reach_a_report(app, db):
    report = services.create_report(SYSTEM, _input(title="Bell\x07 title",
                                                   summary="Line one\x00\nline two"))
    assert (report.title, report.summary) == ("Bell title", "Line one\nline two")
