"""The focal contact's report pages for the quality gates: the new-report form, a report's
management page in each state, replacing a file, the file types, and their error states."""

from __future__ import annotations

import io
from datetime import date

from coalition.reports import services
from tests.factories import SYSTEM, make_report, pdf_bytes
from tests.quality.catalog import (
    FOCAL,
    FOCAL_ONLY,
    MEMBER,
    NOBODY,
    Case,
    Samples,
)

NOT_A_PDF = b"Minutes of the meeting, typed in a text editor and saved as report.pdf.\n"


def add_samples(s: Samples) -> None:
    """A draft with a replaced file (so the page shows an earlier version), a published
    report (its address frozen), an archived one, a draft with nothing to publish yet, and
    one optional kind of file allowed."""
    draft = make_report(
        visibility="draft", title="Manage sample: draft policy paper",
        files=[(pdf_bytes("Draft policy paper", "First version of the text."),
                "draft-policy-paper.pdf")],
        summary="What the coalition recommends on age-appropriate design.",
        tags=["age verification", "online safety"], fiscal_year="FY16")
    earlier = draft.current_files[0]
    services.replace_file(SYSTEM, earlier, services.FileInput(
        pdf_bytes("Draft policy paper", "Second version, after the members' comments."),
        "draft-policy-paper-v2.pdf", "Full paper"))
    services.add_file(SYSTEM, draft, services.FileInput(
        pdf_bytes("Executive summary", "Résumé en français."), "resume.pdf",
        "Executive summary (French)"))
    public = make_report(title="Manage sample: annual report 2016", type="annual_report",
                         published_on=date(2016, 12, 15))
    archived = make_report(visibility="members", title="Manage sample: archived submission",
                           type="submission")
    services.set_archived(SYSTEM, archived, True)
    empty = make_report(visibility="draft", title="Manage sample: empty draft", files=[])
    services.set_allowed_kinds(SYSTEM, {"odt"})
    s.manage_draft_slug = draft.slug
    s.manage_file_id = draft.current_files[0].id
    s.manage_earlier_file_id = earlier.id
    s.manage_public_slug = public.slug
    s.manage_archived_slug = archived.slug
    s.manage_empty_slug = empty.slug


def _not_a_pdf() -> tuple[io.BytesIO, str]:
    return io.BytesIO(NOT_A_PDF), "report.pdf"


def _good_fields(title: str) -> dict[str, str]:
    return {"title": title, "type": "session_report", "published_on": "2016-12-08",
            "language": "en", "visibility": "draft"}


def cases(s: Samples) -> list[Case]:
    draft = f"/reports/{s.manage_draft_slug}"
    replace = f"{draft}/files/{s.manage_file_id}/replace"
    return [
        Case("new report", FOCAL, "/reports/new"),
        Case("new report, with errors", FOCAL, "/reports/new", "POST",
             {"title": "", "type": "", "published_on": "8 December 2016",
              "visibility": "draft"}, 400),
        Case("new report, reserved address", FOCAL, "/reports/new", "POST",
             {**_good_fields("Catalog reserved"), "slug": "file-types"}, 400),
        Case("new report, a file named .pdf that is not one", FOCAL, "/reports/new", "POST",
             {**_good_fields("Catalog refused upload"), "file": _not_a_pdf()}, 400),
        Case("manage a draft with versions", FOCAL, f"{draft}/edit"),
        Case("manage a published report", FOCAL, f"/reports/{s.manage_public_slug}/edit"),
        Case("manage an archived report", FOCAL, f"/reports/{s.manage_archived_slug}/edit"),
        Case("manage a draft without files", FOCAL, f"/reports/{s.manage_empty_slug}/edit"),
        Case("manage: details with errors", FOCAL, f"{draft}/edit", "POST",
             {"title": "", "type": "other", "published_on": "2016-02-30",
              "external_url": "www.example.org", "language": "en"}, 400),
        Case("manage: adding a file that is not a PDF", FOCAL, f"{draft}/files", "POST",
             {"file": _not_a_pdf(), "label": "Minutes"}, 400),
        Case("manage: adding no file", FOCAL, f"{draft}/files", "POST", {"label": ""}, 400),
        Case("manage: publishing with nothing to read", FOCAL,
             f"/reports/{s.manage_empty_slug}/visibility", "POST", {"visibility": "public"},
             400),
        Case("replace a file", FOCAL, replace),
        Case("replace an earlier version", FOCAL,
             f"{draft}/files/{s.manage_earlier_file_id}/replace"),
        Case("replace a file with one that is not a PDF", FOCAL, replace, "POST",
             {"file": _not_a_pdf()}, 400),
        Case("file types", FOCAL, "/reports/file-types"),
        Case("file types, unknown kind", FOCAL, "/reports/file-types", "POST",
             {"kinds": "exe"}, 400),
        Case("new report: member forbidden", MEMBER, "/reports/new", status=403),
        Case("manage page: member forbidden", MEMBER, f"{draft}/edit", status=403),
        Case("replace a file: member forbidden", MEMBER, replace, status=403),
        Case("file types: member forbidden", MEMBER, "/reports/file-types", status=403),
    ]


MATRIX = {
    "/reports/new": ("/reports/new", FOCAL_ONLY, FOCAL_ONLY),
    "/reports/<slug>/edit": ("/reports/{manage_draft_slug}/edit", FOCAL_ONLY, FOCAL_ONLY),
    "/reports/<slug>/visibility": ("/reports/{manage_draft_slug}/visibility", NOBODY,
                                   FOCAL_ONLY),
    "/reports/<slug>/files": ("/reports/{manage_draft_slug}/files", NOBODY, FOCAL_ONLY),
    "/reports/<slug>/files/<int:file_id>/replace": (
        "/reports/{manage_draft_slug}/files/{manage_file_id}/replace", FOCAL_ONLY, FOCAL_ONLY),
    "/reports/<slug>/archive": ("/reports/{manage_draft_slug}/archive", NOBODY, FOCAL_ONLY),
    "/reports/<slug>/restore": ("/reports/{manage_archived_slug}/restore", NOBODY,
                                FOCAL_ONLY),
    "/reports/file-types": ("/reports/file-types", FOCAL_ONLY, FOCAL_ONLY),
}
