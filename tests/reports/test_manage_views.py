"""The focal contact's report pages: creating, editing, publishing, archiving, files and
their versions, the kinds of file allowed, and what a refused upload leaves behind
(nothing)."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from coalition.extensions import db
from coalition.reports import files, services
from coalition.reports.models import AllowedFileType, Report, ReportFile
from tests.factories import make_report, pdf_bytes

NOT_A_PDF = b"Minutes of the 2016 meeting, typed in a text editor.\n"
REFUSED = "“report.pdf” is not a PDF: its content is plain text. Nothing was saved."


def fields(title: str = "Session report IGF 2016", **overrides) -> dict:
    values = {"title": title, "type": "session_report", "published_on": "2016-12-08",
              "authors": "Ama Mensah\nChild Safety Network", "summary": "What was said.",
              "language": "en", "tags": "online safety, Age Verification",
              "external_url": "", "slug": "", "fiscal_year": "", "visibility": "draft",
              "label": ""}
    values.update(overrides)
    return values


def stored() -> tuple[int, int, int]:
    """Reports, file rows and files on disk: what a refused request must leave alone."""
    return (db.session.scalar(select(func.count()).select_from(Report)),
            db.session.scalar(select(func.count()).select_from(ReportFile)),
            files.storage().count())


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def focal_client(client, focal, login):
    login(focal)
    return client


@pytest.fixture
def anonymous(app):
    return app.test_client()


# --- creating -------------------------------------------------------------------------

def test_the_new_report_form_types_the_date_and_explains_the_fiscal_year(focal_client):
    page = text_of(focal_client.get("/reports/new"))
    [date_input] = re.findall(r'<input[^>]*name="published_on"[^>]*>', page)
    assert 'type="text"' in date_input and 'placeholder="YYYY-MM-DD"' in date_input
    assert "fiscal years start in January" in page
    # A new report is a draft unless told otherwise.
    assert re.search(r'<input checked id="visibility-0"[^>]*value="draft"', page)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page


@pytest.mark.parametrize("app_overrides", [{"FY_START_MONTH": 7}])
def test_creating_a_report_stores_the_pdf_by_sha256_and_shows_it(focal_client, anonymous,
                                                                   app):
    assert "fiscal years start in July" in text_of(focal_client.get("/reports/new"))
    data = pdf_bytes("Session report", "Children's rights in the digital environment.")
    response = focal_client.post("/reports/new", data=fields(
        published_on="2016-08-01", visibility="public", label="Full report",
        file=(io.BytesIO(data), "IGF 2016 session report.pdf")))
    assert response.status_code == 302
    report = db.session.scalar(select(Report))
    assert response.headers["Location"] == f"/reports/{report.slug}"
    assert report.slug == "session-report-igf-2016"
    assert report.fiscal_year == "FY17"  # July start: August 2016 is in FY17
    assert report.tags == ["age verification", "online safety"]
    [row] = report.files
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert files.storage().read(row.sha256) == data
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "was added and is public" in page
    assert "Session report IGF 2016" in page and "Full report" in page
    assert "Session report IGF 2016" in text_of(anonymous.get(f"/reports/{report.slug}"))
    download = anonymous.get(f"/reports/{report.slug}/files/{row.id}/{row.filename}")
    assert download.status_code == 200 and download.data == data


def test_form_errors_are_listed_and_nothing_is_stored(focal_client):
    response = focal_client.post("/reports/new", data=fields(
        title="", type="", published_on="08/12/2016",
        file=(io.BytesIO(pdf_bytes()), "report.pdf")))
    assert response.status_code == 400
    page = text_of(response)
    assert "There is a problem" in page
    for message in ("Give the report a title.", "Choose the type of report.",
                    "Write the date as YYYY-MM-DD"):
        assert message in page
    assert stored() == (0, 0, 0)


def test_a_service_error_goes_next_to_its_field_and_nothing_is_stored(focal_client):
    response = focal_client.post("/reports/new", data=fields(
        slug="new", external_url="www.example.org",
        file=(io.BytesIO(pdf_bytes()), "report.pdf")))
    assert response.status_code == 400
    assert "“new” is reserved for a page of the archive" in text_of(response)
    assert 'id="slug-error"' in text_of(response)
    assert stored() == (0, 0, 0)


def test_two_saves_racing_for_one_address_end_in_a_message(focal_client, monkeypatch):
    taken = make_report(visibility="draft", title="Taken", slug="taken")
    # As if the other report were saved between our check and our write.
    monkeypatch.setattr(services, "_check_slug", lambda slug, report_id: slug)
    response = focal_client.post("/reports/new", data=fields(slug="taken"))
    assert response.status_code == 400
    assert "Another report took this address while you were saving" in text_of(response)
    other = make_report(visibility="draft", title="Other")
    response = focal_client.post(f"/reports/{other.slug}/edit", data=fields(
        title="Other", slug="taken"))
    assert response.status_code == 400 and "Another report took" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Report)) == 2
    assert taken.slug == "taken"


def test_a_file_named_report_pdf_that_is_not_a_pdf_is_refused_on_the_new_form(focal_client):
    response = focal_client.post("/reports/new", data=fields(
        file=(io.BytesIO(NOT_A_PDF), "report.pdf")))
    assert response.status_code == 400
    assert REFUSED in text_of(response) and 'aria-invalid="true"' in text_of(response)
    assert stored() == (0, 0, 0)


def test_publishing_a_new_report_with_nothing_to_read_is_refused(focal_client):
    response = focal_client.post("/reports/new", data=fields(visibility="public"))
    assert response.status_code == 400
    assert "Add a file or a link before publishing" in text_of(response)
    assert stored() == (0, 0, 0)


# --- files ----------------------------------------------------------------------------

def test_adding_and_replacing_refuse_a_file_that_is_not_a_pdf(focal_client):
    report = make_report(visibility="draft")
    row = report.current_files[0]
    before = stored()
    added = focal_client.post(f"/reports/{report.slug}/files",
                              data={"file": (io.BytesIO(NOT_A_PDF), "report.pdf")})
    assert added.status_code == 400 and REFUSED in text_of(added)
    assert "Manage" in text_of(added)  # the management page again, with the message
    replaced = focal_client.post(f"/reports/{report.slug}/files/{row.id}/replace",
                                 data={"file": (io.BytesIO(NOT_A_PDF), "report.pdf")})
    assert replaced.status_code == 400 and REFUSED in text_of(replaced)
    assert stored() == before
    db.session.expire_all()
    assert db.session.get(ReportFile, row.id).replaced_at is None


def test_adding_without_a_file_says_so(focal_client):
    report = make_report(visibility="draft")
    response = focal_client.post(f"/reports/{report.slug}/files", data={"label": "x"})
    assert response.status_code == 400 and "Choose a file to upload." in text_of(response)


def test_adding_a_file_shows_it_on_the_management_page(focal_client):
    report = make_report(visibility="draft")
    data = pdf_bytes("Résumé", "Résumé exécutif.")
    response = focal_client.post(f"/reports/{report.slug}/files", data={
        "file": (io.BytesIO(data), "resume.pdf"), "label": "Executive summary (French)"})
    assert response.status_code == 302
    page = text_of(focal_client.get(response.headers["Location"]))
    assert "resume.pdf was added to the report." in page
    assert "Executive summary (French)" in page
    assert files.storage().exists(hashlib.sha256(data).hexdigest())


def test_replacing_keeps_the_earlier_version_downloadable(focal_client, anonymous):
    report = make_report(visibility="public", title="Annual report 2016")
    old = report.current_files[0]
    new_data = pdf_bytes("Annual report 2016", "Corrected figures.")
    form = focal_client.get(f"/reports/{report.slug}/files/{old.id}/replace")
    assert "labelled as an earlier version" in text_of(form)
    response = focal_client.post(f"/reports/{report.slug}/files/{old.id}/replace",
                                 data={"file": (io.BytesIO(new_data), "annual-2016.pdf")})
    assert response.status_code == 302
    manage = text_of(focal_client.get(response.headers["Location"]))
    assert "The earlier version stays downloadable" in manage
    assert "Earlier version" in manage and old.filename in manage
    public = text_of(anonymous.get(f"/reports/{report.slug}"))
    assert "Earlier version" in public and "annual-2016.pdf" in public
    earlier = anonymous.get(f"/reports/{report.slug}/files/{old.id}/{old.filename}")
    assert earlier.status_code == 200 and earlier.data.startswith(b"%PDF-")
    again = focal_client.post(f"/reports/{report.slug}/files/{old.id}/replace",
                              data={"file": (io.BytesIO(new_data), "x.pdf")})
    assert again.status_code == 400 and "already an earlier version" in text_of(again)


def test_replace_answers_404_for_a_file_of_another_report(focal_client):
    report, other = make_report(), make_report()
    foreign = other.current_files[0].id
    assert focal_client.get(f"/reports/{report.slug}/files/{foreign}/replace"
                            ).status_code == 404
    assert focal_client.get("/reports/no-such-report/edit").status_code == 404
    assert focal_client.post("/reports/no-such-report/archive").status_code == 404


@pytest.mark.parametrize("app_overrides", [{"UPLOAD_MAX_MB": 1}])
def test_an_oversized_upload_gets_the_413_page_and_nothing_is_stored(focal_client):
    report = make_report(visibility="draft")
    row = report.current_files[0]
    before = stored()
    big = pdf_bytes() + b"%" + b"x" * (1024 * 1024 + 10)
    for path, data in (("/reports/new", fields()),
                       (f"/reports/{report.slug}/files", {}),
                       (f"/reports/{report.slug}/files/{row.id}/replace", {})):
        response = focal_client.post(path, data={**data,
                                                 "file": (io.BytesIO(big), "big.pdf")})
        assert response.status_code == 413, path
        assert "File too large" in text_of(response) and "1 MB" in text_of(response)
        assert stored() == before


def test_a_kind_is_refused_until_allowed_on_the_file_types_page(focal_client):
    report = make_report(visibility="draft")
    notes = ("notes.txt", b"Plain notes from the session.\n")
    refused = focal_client.post(f"/reports/{report.slug}/files",
                                data={"file": (io.BytesIO(notes[1]), notes[0])})
    assert refused.status_code == 400
    assert "accepts PDF files only, unless a focal contact allows" in text_of(refused)
    page = text_of(focal_client.get("/reports/file-types"))
    assert "PDF is always accepted" in page and "not their name" in page
    saved = focal_client.post("/reports/file-types", data={"kinds": ["text", "odt"]})
    assert saved.status_code == 302
    assert "PDF, OpenDocument text (.odt), Plain text" in text_of(
        focal_client.get("/reports/file-types"))
    assert services.allowed_kinds() == {"text", "odt"}
    accepted = focal_client.post(f"/reports/{report.slug}/files",
                                 data={"file": (io.BytesIO(notes[1]), notes[0])})
    assert accepted.status_code == 302
    assert focal_client.post("/reports/file-types", data={}).status_code == 302
    assert services.allowed_kinds() == set()


def test_an_unknown_kind_is_refused(focal_client):
    response = focal_client.post("/reports/file-types", data={"kinds": ["exe"]})
    assert response.status_code == 400 and "not a valid choice" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(AllowedFileType)) == 0


# --- publishing and archiving ---------------------------------------------------------

def test_publish_unpublish_archive_and_restore_change_what_the_public_sees(
        focal_client, anonymous, app, member):
    report = make_report(visibility="draft", title="Position paper on age assurance")
    page, title = f"/reports/{report.slug}", "Position paper on age assurance"
    signed_in = app.test_client()
    signed_in.post("/login", data={"email": member.email,
                                   "password": "correct horse battery staple"})

    def seen() -> tuple[bool, bool]:
        return (title in text_of(anonymous.get("/reports/")) and
                anonymous.get(page).status_code == 200,
                signed_in.get(page).status_code == 200)

    assert seen() == (False, False)
    response = focal_client.post(f"{page}/visibility", data={"visibility": "public"})
    assert response.status_code == 302 and response.headers["Location"] == f"{page}/edit"
    assert "is public" in text_of(focal_client.get(f"{page}/edit"))
    assert seen() == (True, True)
    focal_client.post(f"{page}/visibility", data={"visibility": "members"})
    assert seen() == (False, True)
    focal_client.post(f"{page}/visibility", data={"visibility": "draft"})
    assert seen() == (False, False)
    focal_client.post(f"{page}/visibility", data={"visibility": "public"})
    focal_client.post(f"{page}/archive")
    assert seen() == (False, False)
    manage = text_of(focal_client.get(f"{page}/edit"))
    assert "Archived" in manage and ">Restore</button>" in manage
    assert "Publish to the public" not in manage
    focal_client.post(f"{page}/restore")
    assert seen() == (True, True)


def test_publishing_with_nothing_to_read_shows_why(focal_client):
    report = make_report(visibility="draft", files=[])
    response = focal_client.post(f"/reports/{report.slug}/visibility",
                                 data={"visibility": "public"})
    assert response.status_code == 400
    assert "Add a file or a link before publishing" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Report, report.id).visibility == "draft"


# --- editing --------------------------------------------------------------------------

def test_editing_saves_the_details_and_may_change_a_drafts_address(focal_client):
    report = make_report(visibility="draft", title="Draft paper")
    page = text_of(focal_client.get(f"/reports/{report.slug}/edit"))
    assert 'value="Draft paper"' in page and "Publish to the public" in page
    response = focal_client.post(f"/reports/{report.slug}/edit", data=fields(
        title="Final paper", slug="final-paper", tags="a, b"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports/final-paper/edit"
    db.session.expire_all()
    changed = db.session.get(Report, report.id)
    assert (changed.title, changed.slug, changed.tags) == ("Final paper", "final-paper",
                                                           ["a", "b"])


def test_a_published_reports_address_is_frozen(focal_client):
    report = make_report(visibility="public", title="Cited paper")
    page = text_of(focal_client.get(f"/reports/{report.slug}/edit"))
    assert "disabled" in page and "it cannot change" in page
    response = focal_client.post(f"/reports/{report.slug}/edit", data=fields(
        title="Cited paper, revised", slug="forged-address"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Report, report.id).slug == report.slug
    assert db.session.get(Report, report.id).title == "Cited paper, revised"


def test_editing_with_errors_changes_nothing(focal_client):
    report = make_report(visibility="draft", title="Unchanged")
    response = focal_client.post(f"/reports/{report.slug}/edit", data=fields(
        title="Changed", external_url="ftp://example.org/x"))
    assert response.status_code == 400
    assert "Give a full web address starting with https://" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Report, report.id).title == "Unchanged"


# --- who may ----------------------------------------------------------------------------

ROUTES = [("GET", "/reports/new"), ("POST", "/reports/new"),
          ("GET", "/reports/{slug}/edit"), ("POST", "/reports/{slug}/edit"),
          ("POST", "/reports/{slug}/visibility"), ("POST", "/reports/{slug}/files"),
          ("GET", "/reports/{slug}/files/{file_id}/replace"),
          ("POST", "/reports/{slug}/files/{file_id}/replace"),
          ("POST", "/reports/{slug}/archive"), ("POST", "/reports/{slug}/restore"),
          ("GET", "/reports/file-types"), ("POST", "/reports/file-types")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_members_get_403_and_visitors_the_login_page(client, member, login, app, method,
                                                     path):
    report = make_report(visibility="draft")
    url = path.format(slug=report.slug, file_id=report.current_files[0].id)

    def data() -> dict:
        return {"visibility": "public", "title": "Taken over", "kinds": ["text"],
                "file": (io.BytesIO(pdf_bytes()), "x.pdf")}

    visitor = app.test_client()
    answer = visitor.get(url) if method == "GET" else visitor.post(url, data=data())
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    login(member)
    answer = client.get(url) if method == "GET" else client.post(url, data=data())
    assert answer.status_code == 403
    db.session.expire_all()
    assert db.session.get(Report, report.id).visibility == "draft"
    assert stored()[1] == 1 and services.allowed_kinds() == set()


@pytest.mark.parametrize("path", [path for method, path in ROUTES if method == "POST"])
def test_a_post_without_the_csrf_token_changes_nothing(focal_client, path):
    report = make_report(visibility="draft", title="Kept as it is")
    url = path.format(slug=report.slug, file_id=report.current_files[0].id)
    before = stored()
    response = focal_client.post(url, csrf=False, data={
        "visibility": "public", "title": "Forged", "type": "other",
        "published_on": "2016-01-01", "language": "en", "kinds": ["text"],
        "file": (io.BytesIO(pdf_bytes("Forged")), "forged.pdf")})
    assert response.status_code == 400
    assert "security token was missing" in text_of(response)
    db.session.expire_all()
    kept = db.session.get(Report, report.id)
    assert (kept.title, kept.visibility, kept.is_archived) == ("Kept as it is", "draft", False)
    assert stored() == before and services.allowed_kinds() == set()
