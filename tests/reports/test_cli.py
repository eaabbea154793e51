"""`coalition reports add|import|reindex` as a focal contact types them."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select, update

from coalition.audit.models import AuditEvent
from coalition.db import today
from coalition.errors import ValidationError
from coalition.members.visibility import FOCAL, PUBLIC
from coalition.reports import files as report_files
from coalition.reports import services
from coalition.reports.models import Report, ReportFile
from coalition.reports.queries import ReportFilter, listing
from tests.factories import make_report, pdf_bytes

NOT_A_PDF = b"Minutes of the meeting, typed in a text editor and saved as report.pdf\n"


def invoke(runner, db, *args: str):
    # The test's transaction ends first: on SQLite it would hold the write lock.
    db.session.commit()
    result = runner.invoke(args=list(args))
    db.session.rollback()  # and the next read sees what the command wrote
    return result


def reports(db) -> list[Report]:
    return list(db.session.scalars(select(Report).order_by(Report.id)))


def stored_files() -> int:
    return report_files.storage().count()


def found(word: str, who: str = FOCAL) -> list[str]:
    return [report.slug for report in listing(ReportFilter(q=word), who, 1).items]


def error_rows(output: str) -> set[int]:
    return {int(number) for number in re.findall(r"^Row (\d+): (?!skipped)", output, re.M)}


# --- reports add ----------------------------------------------------------------------

def test_add_with_a_pdf_creates_the_report_and_stores_the_file(runner, db, tmp_path):
    path = tmp_path / "Annual report 2016.pdf"
    path.write_bytes(pdf_bytes("Annual report 2016", "Our helpline answered 4,000 calls "
                                                     "about cyberbullying in Nairobi."))
    result = invoke(runner, db, "reports", "add", str(path), "--title", "Annual report 2016",
                    "--type", "Annual report", "--date", "2017-03-01", "--fiscal-year", "16",
                    "--author", "Amina Diallo", "--author", "Safe Online Kids Network",
                    "--summary", "What we did in 2016.", "--language", "French",
                    "--tag", "Education", "--tag", "child safety, helplines",
                    "--label", "Full report", "--visibility", "public")
    assert result.exit_code == 0, result.output
    assert "Added annual-report-2016 (Public): http://coalition.test/reports/annual-report-2016" \
        in result.output
    assert "Annual report 2016.pdf: " in result.output and "1 page, text read" in \
        result.output
    (report,) = reports(db)
    assert (report.title, report.type, report.published_on, report.fiscal_year) == \
        ("Annual report 2016", "annual_report", date(2017, 3, 1), "FY16")
    assert report.author_list == ["Amina Diallo", "Safe Online Kids Network"]
    assert (report.language, sorted(report.tags)) == \
        ("fr", ["child safety", "education", "helplines"])
    (row,) = report.current_files
    assert (row.label, row.content_type, row.uploaded_by) == \
        ("Full report", "application/pdf", "command: reports add")
    assert report_files.storage().read(row.sha256) == path.read_bytes()
    assert found("cyberbullying", PUBLIC) == ["annual-report-2016"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "create")).one()
    assert event.actor_label == "command: reports add"


def test_add_with_only_a_link_makes_a_draft_dated_today(runner, db):
    result = invoke(runner, db, "reports", "add", "--title", "Submission to the CRC",
                    "--type", "submission", "--url", "https://example.org/crc.pdf")
    assert result.exit_code == 0, result.output
    assert "Added submission-to-the-crc (Draft (focal contacts only))" in result.output
    (report,) = reports(db)
    assert (report.visibility, report.published_on, report.files) == ("draft", today(), [])
    assert report.external_url == "https://example.org/crc.pdf"


def test_add_with_a_fake_pdf_fails_with_the_reason_and_writes_nothing(runner, db, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(NOT_A_PDF)
    result = invoke(runner, db, "reports", "add", str(path), "--title", "Minutes",
                    "--type", "other", "--visibility", "public")
    assert result.exit_code == 1
    assert "Error: FILE: “report.pdf” is not a PDF: its content is plain text. Nothing " \
           "was saved." in result.output
    assert reports(db) == [] and stored_files() == 0


def test_add_refuses_bad_input_with_the_option_to_correct(runner, db, tmp_path):
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf_bytes("Paper"))
    bad_type = invoke(runner, db, "reports", "add", str(path), "--title", "Paper",
                      "--type", "memo")
    assert bad_type.exit_code == 1
    assert "--type: 'memo' is not a type of report (write one of annual_report" in \
        bad_type.output
    bad_slug = invoke(runner, db, "reports", "add", str(path), "--title", "Paper",
                      "--type", "policy_paper", "--slug", "Not a slug!")
    assert bad_slug.exit_code == 1
    assert "--slug: Use lower-case letters" in bad_slug.output
    assert "Nothing was added." in bad_slug.output
    nothing = invoke(runner, db, "reports", "add", "--title", "Paper", "--type", "other")
    assert nothing.exit_code == 2 and "Give at least one FILE, or --url" in nothing.output
    assert reports(db) == [] and stored_files() == 0


# --- reports import -------------------------------------------------------------------

def write_csv(path, rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> str:
    text = "\r\n".join(delimiter.join(f'"{cell}"' if delimiter in cell else cell
                                      for cell in row) for row in rows) + "\r\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return str(path)


def archive_to_import(tmp_path, delimiter: str = ",", bom: bool = False) -> str:
    """Three good rows (2, 3, 7), a bad type (4), a missing file (5), a fake PDF (6)."""
    folder = tmp_path / "archive"
    (folder / "pdfs").mkdir(parents=True)
    (folder / "pdfs" / "annual.pdf").write_bytes(
        pdf_bytes("Annual report 2016", "Members met in Guadalajara to discuss helplines."))
    session = tmp_path / "session.pdf"  # outside the folder: given by its absolute path
    session.write_bytes(pdf_bytes("Informe", "Los jóvenes pidieron herramientas sencillas."))
    (folder / "pdfs" / "fake.pdf").write_bytes(NOT_A_PDF)
    return write_csv(folder / "reports.csv", [
        ["TITLE", "Type", "date", "File", "URL", "Authors", "Tags", "Language",
         "Fiscal year", "Notes"],
        ["Annual report 2016", "Annual report", "2017-03-01", "pdfs/annual.pdf", "",
         "Amina Diallo; Kofi Mensah", "education; child safety", "en", "FY16", "ok"],
        ["Submission to the CRC", "submission", "2020-11-13", "", "https://example.org/crc",
         "", "", "", "", ""],
        ["Minutes of 2015", "Memo", "2015-05-01", "", "https://example.org/minutes",
         "", "", "", "", ""],
        ["Session report 2017", "session_report", "2017-12-20", "pdfs/missing.pdf", "", "",
         "", "", "", ""],
        ["Policy paper", "policy_paper", "2018-01-01", "pdfs/fake.pdf", "", "", "", "", "",
         ""],
        ["", "", "", "", "", "", "", "", "", ""],
        ["Informe de la sesión", "Session report", "2016-12-20", str(session), "",
         "Camila Fernández", "youth participation", "Spanish", "", ""],
    ], delimiter, bom)


def test_import_lists_every_bad_row_and_by_default_writes_nothing(runner, db, tmp_path):
    result = invoke(runner, db, "reports", "import", archive_to_import(tmp_path))
    assert result.exit_code == 1
    assert error_rows(result.output) == {4, 5, 6}
    assert "Row 4: Type: 'Memo' is not a type of report" in result.output
    assert re.search(r"Row 5: File: 'pdfs/missing.pdf' was not found \(looked for \S+"
                     r"archive/pdfs/missing.pdf\)\.", result.output)
    assert "Row 6: File: “fake.pdf” is not a PDF: its content is plain text." in result.output
    assert "Columns not read: Notes" in result.output
    assert "6 rows: 3 to create, 0 skipped, 3 with errors." in result.output
    assert "3 rows with errors, so nothing was imported (all or nothing)" in result.output
    assert reports(db) == [] and stored_files() == 0


def test_import_valid_rows_writes_only_the_good_ones_as_drafts(runner, db, tmp_path):
    result = invoke(runner, db, "reports", "import", "--valid-rows",
                    archive_to_import(tmp_path, delimiter=";", bom=True))
    assert result.exit_code == 0, result.output
    assert error_rows(result.output) == {4, 5, 6}
    assert "Imported: 3 created as drafts, 0 skipped, 3 with errors not imported." in \
        result.output
    annual, submission, informe = reports(db)
    assert [r.title for r in (annual, submission, informe)] == \
        ["Annual report 2016", "Submission to the CRC", "Informe de la sesión"]
    assert {r.visibility for r in (annual, submission, informe)} == {"draft"}
    assert (annual.type, annual.fiscal_year, annual.author_list, sorted(annual.tags)) == \
        ("annual_report", "FY16", ["Amina Diallo", "Kofi Mensah"],
         ["child safety", "education"])
    assert (submission.external_url, submission.files) == ("https://example.org/crc", [])
    assert (informe.type, informe.language) == ("session_report", "es")
    assert stored_files() == 2
    assert found("guadalajara") == ["annual-report-2016"] and found("guadalajara", PUBLIC) == []
    assert found("herramientas") == ["informe-de-la-sesion"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.actor_label == "command: reports import")) == 3


def test_import_can_publish_what_it_imports(runner, db, tmp_path):
    result = invoke(runner, db, "reports", "import", "--valid-rows", "--visibility", "public",
                    archive_to_import(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Imported: 3 created public" in result.output
    assert found("guadalajara", PUBLIC) == ["annual-report-2016"]


def test_a_dry_run_checks_everything_and_writes_nothing(runner, db, tmp_path):
    result = invoke(runner, db, "reports", "import", "--dry-run", "--valid-rows",
                    archive_to_import(tmp_path))
    assert result.exit_code == 0, result.output
    assert error_rows(result.output) == {4, 5, 6}
    assert "6 rows: 3 to create" in result.output and "Dry run: nothing was written." in \
        result.output
    assert reports(db) == [] and stored_files() == 0


def test_a_second_import_skips_every_row(runner, db, tmp_path):
    make_report(title="Guidelines for industry", slug="industry-guidelines",
                published_on=date(2018, 6, 12))
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(pdf_bytes("Annual report 2016"))
    path = write_csv(folder / "reports.csv", [
        ["title", "type", "date", "file", "url", "slug"],
        ["Annual report 2016", "annual_report", "2017-03-01", "a.pdf", "", ""],
        ["Submission to the CRC", "submission", "2020-11-13", "", "https://example.org/c", ""],
        ["Guidelines (2018 edition)", "guidelines", "2018-06-12", "", "https://e.org/g",
         "industry-guidelines"],
        ["annual  REPORT 2016", "Annual report", "2017-03-01", "", "https://e.org/a", ""],
    ])
    first = invoke(runner, db, "reports", "import", path)
    assert first.exit_code == 0, first.output
    assert "Row 4: skipped, already in the archive as industry-guidelines." in first.output
    assert "Row 5: skipped, the same report as row 2." in first.output
    assert "Imported: 2 created as drafts, 2 skipped, 0 with errors not imported." in \
        first.output
    second = invoke(runner, db, "reports", "import", path)
    assert second.exit_code == 0, second.output
    assert "Row 2: skipped, already in the archive as annual-report-2016." in second.output
    assert "Row 3: skipped, already in the archive as submission-to-the-crc." in second.output
    assert "Imported: 0 created as drafts, 4 skipped" in second.output
    assert len(reports(db)) == 3 and stored_files() == 2


def test_a_failure_while_writing_rolls_back_every_row(runner, db, tmp_path, monkeypatch):
    real = services.create_report
    calls = []

    def failing_on_the_second_write(actor, data, files=(), **kwargs):
        if files:  # the writes (the checks pass no files)
            calls.append(data.title)
            if len(calls) == 2:
                raise ValidationError("title", "Simulated failure.")
        return real(actor, data, files, **kwargs)

    monkeypatch.setattr(services, "create_report", failing_on_the_second_write)
    folder = tmp_path / "archive"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.pdf").write_bytes(pdf_bytes(f"Report {name}"))
    path = write_csv(folder / "reports.csv", [
        ["title", "type", "date", "file"],
        ["Report A", "other", "2017-01-01", "a.pdf"],
        ["Report B", "other", "2017-01-02", "b.pdf"],
    ])
    result = invoke(runner, db, "reports", "import", path)
    assert result.exit_code == 1
    assert "Nothing was imported: row 3: Simulated failure." in result.output
    assert reports(db) == []


def test_an_unreadable_csv_is_refused_with_its_reason(runner, db, tmp_path):
    missing = invoke(runner, db, "reports", "import",
                     write_csv(tmp_path / "a.csv", [["Title", "Type"], ["A", "other"]]))
    assert missing.exit_code == 1
    assert "there is none for Date, URL or File." in missing.output
    latin1 = tmp_path / "b.csv"
    latin1.write_bytes("title,type,date,url\r\nInforme de sesión,other,2017-01-01,"
                       "https://e.org\r\n".encode("latin-1"))
    not_utf8 = invoke(runner, db, "reports", "import", str(latin1))
    assert not_utf8.exit_code == 1 and "not UTF-8" in not_utf8.output
    assert reports(db) == []


# --- reports reindex ------------------------------------------------------------------

def test_reindex_reads_the_pdfs_again_for_search(runner, db):
    report = make_report(slug="helplines", files=[(pdf_bytes(
        "Helplines", "Counsellors answered calls from Zanzibar and Mombasa."), "h.pdf")])
    make_report(slug="other-report")
    db.session.execute(update(ReportFile).values(text=None))
    services.refresh_search_text(report)
    db.session.commit()
    assert found("zanzibar") == []
    result = invoke(runner, db, "reports", "reindex")
    assert result.exit_code == 0, result.output
    assert "Reindexed 2 reports." in result.output and "Problem" not in result.output
    assert found("zanzibar", PUBLIC) == ["helplines"]


def test_reindex_one_report_and_name_the_missing_files(runner, db):
    report = make_report(slug="helplines", files=[(pdf_bytes("Helplines", "Mombasa"),
                                                   "helplines.pdf")])
    report_files.storage().path(report.files[0].sha256).unlink()
    result = invoke(runner, db, "reports", "reindex", "--slug", "helplines")
    assert result.exit_code == 1
    assert "Reindexed 1 report." in result.output
    assert "Problem: helplines/helplines.pdf: " in result.output
    assert "1 file could not be read and kept the text read before" in result.output
    assert found("mombasa") == ["helplines"]  # the text read before is kept
    unknown = invoke(runner, db, "reports", "reindex", "--slug", "no-such-report")
    assert unknown.exit_code == 1 and "No report has the address 'no-such-report'" in \
        unknown.output
