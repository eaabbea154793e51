"""The public report pages for the quality gates: the listing (plain, searched, filtered,
empty, page 2) and a report's page in each state, as each role sees it. The download
route answers files, not pages: tests/reports/test_downloads.py covers it."""

from __future__ import annotations

from datetime import date

from coalition.extensions import db
from coalition.reports import services
from tests.factories import SYSTEM, make_report, pdf_bytes
from tests.quality.catalog import (
    ANONYMOUS,
    EVERYONE,
    FOCAL,
    MEMBER,
    NOBODY,
    NOT_FOUND,
    OK,
    Case,
    Samples,
)

NOT_PAGES = {"reports.download"}
PDF_ONLY_WORD = "grooming"  # in the annual report's PDF, nowhere in its metadata
EXTRA_SUBMISSIONS = 21  # one more than a page of the listing


def add_samples(s: Samples) -> None:
    """A report of each visibility (a draft, a members-only one, an archived one), one
    with a replaced file, one with only a web link, and enough submissions for page 2."""
    annual = make_report(
        title="Annual report 2016", slug="annual-report-2016", type="annual_report",
        published_on=date(2016, 12, 15), authors="Amara Diallo\nChild Safety Network",
        summary="What the coalition did in 2016: three sessions at the IGF and a survey "
                "of helplines.\n\nThe second part sets out the plan for 2017.",
        tags=["helplines", "igf"],
        files=[(pdf_bytes("Annual report 2016", "Online grooming was the main concern "
                          "reported by helplines."), "Annual report 2016.pdf")])
    members_only = make_report(
        visibility="members", title="Position sur la vérification de l'âge en ligne",
        slug="age-assurance-position", type="position_paper", published_on=date(2017, 3, 2),
        summary="Pour discussion entre membres avant la consultation publique.",
        tags=["age assurance"], language="fr")
    draft = make_report(visibility="draft", title="Session report IGF 2017 (draft)",
                        slug="igf-2017-session-draft", type="session_report",
                        published_on=date(2017, 12, 20))
    archived = make_report(title="Withdrawn guidelines 2015", slug="withdrawn-guidelines",
                           type="guidelines", published_on=date(2015, 5, 4))
    services.set_archived(SYSTEM, archived, True)
    versioned = make_report(
        title="Policy paper on helplines", slug="helplines-policy-paper",
        published_on=date(2018, 2, 1), tags=["helplines"],
        files=[(pdf_bytes("Helplines", "First version."), "helplines.pdf")])
    earlier = versioned.current_files[0]
    services.replace_file(SYSTEM, earlier, services.FileInput(
        pdf_bytes("Helplines", "Second version, with corrected figures."), "helplines-v2.pdf",
        label="Full paper"))
    linked = make_report(title="Submission to the UN Committee on the Rights of the Child",
                         slug="crc-submission", type="submission",
                         published_on=date(2019, 9, 9), files=[],
                         external_url="https://www.ohchr.org/en/treaty-bodies/crc")
    for number in range(1, EXTRA_SUBMISSIONS + 1):
        make_report(title=f"Consultation response {number}", type="submission",
                    published_on=date(2011, 1, number), files=[],
                    external_url=f"https://consultations.example.org/responses/{number}")
    db.session.commit()
    s.reports_public_slug = annual.slug
    s.reports_public_file_id = annual.current_files[0].id
    s.reports_members_slug = members_only.slug
    s.reports_members_file_id = members_only.current_files[0].id
    s.reports_draft_slug = draft.slug
    s.reports_archived_slug = archived.slug
    s.reports_versioned_slug = versioned.slug
    s.reports_earlier_file_id = earlier.id
    s.reports_link_slug = linked.slug


def cases(s: Samples) -> list[Case]:
    public, members, draft = (s.reports_public_slug, s.reports_members_slug,
                              s.reports_draft_slug)
    archived = s.reports_archived_slug
    return [
        Case("reports", ANONYMOUS, "/reports/"),
        Case("reports, searched for a word inside a PDF", ANONYMOUS,
             f"/reports/?q={PDF_ONLY_WORD}"),
        Case("reports, filtered by facets", ANONYMOUS,
             "/reports/?type=annual_report&year=2016&tag=helplines&tag=igf&sort=title"),
        Case("reports, nothing matches", ANONYMOUS, "/reports/?q=zzyzx&language=fr"),
        Case("reports, page 2", ANONYMOUS, "/reports/?type=submission&page=2"),
        Case("reports, as a member", MEMBER, "/reports/?sort=oldest"),
        Case("reports, as a focal contact", FOCAL, "/reports/"),
        Case("reports, searched, focal contact", FOCAL, "/reports/?q=helplines&sort=relevance"),
        Case("archived reports", FOCAL, "/reports/?archived=1"),
        Case("public report", ANONYMOUS, f"/reports/{public}"),
        Case("public report, as a member", MEMBER, f"/reports/{public}"),
        Case("public report, focal contact", FOCAL, f"/reports/{public}"),
        Case("report with an earlier version", ANONYMOUS, f"/reports/{s.reports_versioned_slug}"),
        Case("report with only a web link", ANONYMOUS, f"/reports/{s.reports_link_slug}"),
        Case("members-only report, anonymous", ANONYMOUS, f"/reports/{members}", status=404),
        Case("members-only report", MEMBER, f"/reports/{members}"),
        Case("members-only report, focal contact", FOCAL, f"/reports/{members}"),
        Case("draft report, anonymous", ANONYMOUS, f"/reports/{draft}", status=404),
        Case("draft report, member", MEMBER, f"/reports/{draft}", status=404),
        Case("draft report, focal contact", FOCAL, f"/reports/{draft}"),
        Case("archived report, anonymous", ANONYMOUS, f"/reports/{archived}", status=404),
        Case("archived report, member", MEMBER, f"/reports/{archived}", status=404),
        Case("archived report, focal contact", FOCAL, f"/reports/{archived}"),
    ]


MATRIX = {
    "/reports/": ("/reports/", EVERYONE, NOBODY),
    "/reports/<slug>": ("/reports/{reports_members_slug}", (NOT_FOUND, OK, OK), NOBODY),
    # Asked under an outdated file name: who may see the file is redirected (301) to its
    # address, the others get 404. (The gate's app has its own, empty, file folder, so the
    # file itself would be missing there; test_downloads.py fetches the bytes.)
    "/reports/<slug>/files/<int:file_id>/<filename>": (
        "/reports/{reports_members_slug}/files/{reports_members_file_id}/old-name.pdf",
        (NOT_FOUND, OK, OK), NOBODY),
}
