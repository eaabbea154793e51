"""Downloading a report's files: the right bytes and headers, counted once, cached as the
report's visibility allows, and never a file the visitor may not see."""

from __future__ import annotations

import html
import logging

import pytest

from coalition.extensions import db
from coalition.reports import files, services
from coalition.reports.models import Report, ReportFile
from tests.factories import SYSTEM, make_report, pdf_bytes

PDF = pdf_bytes("Annual report 2016", "The coalition's findings.")


def url(row: ReportFile, filename: str | None = None) -> str:
    return f"/reports/{row.report.slug}/files/{row.id}/{filename or row.filename}"


def counts(row: ReportFile) -> tuple[int, int]:
    """(downloads of the report, downloads of the file), as stored."""
    db.session.expire_all()
    return (db.session.get(Report, row.report_id).download_count,
            db.session.get(ReportFile, row.id).download_count)


@pytest.fixture
def public_file(app) -> ReportFile:
    report = make_report(title="Annual report 2016", slug="annual-2016",
                         files=[(PDF, "annual report 2016.pdf")])
    return report.current_files[0]


def test_a_public_pdf_is_served_inline_with_its_headers(client, public_file):
    response = client.get(url(public_file))
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="annual report 2016.pdf"'
    assert response.headers["ETag"] == f'"{public_file.sha256}"'
    assert response.headers["Last-Modified"]
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The browser's PDF viewer needs object-src and inline styles; scripts stay shut out.
    policy = response.headers["Content-Security-Policy"]
    assert "object-src 'self'" in policy and "default-src 'none'" in policy
    assert "script-src" not in policy
    assert counts(public_file) == (1, 1)
    client.get(url(public_file))
    assert counts(public_file) == (2, 2)


def test_a_cached_copy_is_confirmed_with_304_and_not_counted(client, public_file):
    response = client.get(url(public_file),
                          headers={"If-None-Match": f'"{public_file.sha256}"'})
    assert response.status_code == 304
    assert response.data == b""
    last_modified = client.get(url(public_file)).headers["Last-Modified"]
    response = client.get(url(public_file), headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    assert counts(public_file) == (1, 1)  # only the one full download in between


def test_head_and_a_resumed_download_are_not_counted(client, public_file):
    assert client.head(url(public_file)).status_code == 200
    resumed = client.get(url(public_file), headers={"Range": "bytes=100-"})
    assert resumed.status_code == 206
    assert resumed.data == PDF[100:]
    assert counts(public_file) == (0, 0)
    first_part = client.get(url(public_file), headers={"Range": "bytes=0-99"})
    assert first_part.status_code == 206
    assert first_part.data == PDF[:100]
    assert counts(public_file) == (1, 1)


def test_a_wrong_file_name_redirects_to_the_right_address(client, public_file):
    response = client.get(url(public_file, "old-name.pdf"))
    assert response.status_code == 301
    assert response.headers["Location"] == \
        f"/reports/annual-2016/files/{public_file.id}/annual%20report%202016.pdf"
    assert counts(public_file) == (0, 0)


def test_a_file_is_found_only_under_its_own_report(client, public_file):
    other = make_report(title="Other", slug="other-report")
    response = client.get(f"/reports/other-report/files/{public_file.id}/"
                          f"{public_file.filename}")
    assert response.status_code == 404
    assert client.get(f"/reports/annual-2016/files/{other.current_files[0].id}/x.pdf"
                      ).status_code == 404
    assert client.get("/reports/annual-2016/files/999999/x.pdf").status_code == 404


def test_other_kinds_are_attachments_with_a_safe_non_ascii_name(app, client):
    services.set_allowed_kinds(SYSTEM, {"text"})
    report = make_report(title="Notes", slug="notes",
                         files=[("Résumé des travaux\n".encode(), "compte rendu é.txt")])
    row = report.current_files[0]
    response = client.get(url(row))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"compte rendu e.txt\"; "
        "filename*=UTF-8''compte%20rendu%20%C3%A9.txt")
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]


def test_drafts_are_never_served_to_the_public_or_members(client, login, member, focal):
    report = make_report(visibility="draft", title="Draft", slug="draft")
    row = report.current_files[0]
    assert client.get(url(row)).status_code == 404
    assert client.get(url(row, "other.pdf")).status_code == 404  # no redirect either
    login(member)
    assert client.get(url(row)).status_code == 404
    client.post("/logout")
    login(focal)
    response = client.get(url(row))
    assert response.status_code == 200 and response.data == row_bytes(row)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_members_only_files_need_a_signed_in_member(client, login, member):
    report = make_report(visibility="members", title="Internal", slug="internal")
    row = report.current_files[0]
    assert client.get(url(row)).status_code == 404
    login(member)
    response = client.get(url(row))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert counts(row) == (1, 1)


def test_archived_files_are_only_for_focal_contacts(client, login, member, focal):
    report = make_report(title="Withdrawn", slug="withdrawn")
    services.set_archived(SYSTEM, report, True)
    db.session.commit()
    row = report.current_files[0]
    assert client.get(url(row)).status_code == 404
    login(member)
    assert client.get(url(row)).status_code == 404
    client.post("/logout")
    login(focal)
    assert client.get(url(row)).status_code == 200


def test_an_earlier_version_stays_downloadable(client, public_file):
    new_pdf = pdf_bytes("Annual report 2016", "Corrected figures.")
    new = services.replace_file(SYSTEM, public_file, services.FileInput(new_pdf, "v2.pdf"))
    db.session.commit()
    old = client.get(url(public_file))
    assert old.status_code == 200 and old.data == PDF
    current = client.get(url(new))
    assert current.status_code == 200 and current.data == new_pdf
    assert counts(new) == (2, 1)


def test_a_file_missing_from_storage_is_a_clear_404_and_logged(client, public_file, caplog):
    files.storage().path(public_file.sha256).unlink()
    with caplog.at_level(logging.ERROR, logger="coalition.reports.views"):
        response = client.get(url(public_file))
    assert response.status_code == 404
    body = html.unescape(response.get_data(as_text=True))
    assert "“annual report 2016.pdf” is missing from the archive's storage" in body
    assert any(public_file.sha256 in record.getMessage() for record in caplog.records)
    assert counts(public_file) == (0, 0)


def test_only_get_and_head_are_accepted(client, public_file):
    assert client.post(url(public_file)).status_code == 405


def row_bytes(row: ReportFile) -> bytes:
    return files.storage().read(row.sha256)
