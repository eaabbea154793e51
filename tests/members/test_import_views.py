"""The import pages (upload, preview, confirm), the template and the export, through the
web as each role meets them."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coalition.db import utcnow
from coalition.members.models import Member
from tests.factories import make_member
from tests.members.pages_import import csv_file, thousand_rows_with_ten_bad_ones


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def member_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


def upload(client, data: bytes, filename: str = "members.csv"):
    return client.post("/members/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def import_id(page: str) -> str:
    return re.search(r'name="import_id" type="hidden" value="([^"]+)"', page).group(1)


def section(page: str, heading: str) -> str:
    """The part of the page under the <h2> starting with `heading`."""
    start = page.index(f"<h2>{heading}")
    end = page.find("<h2>", start + 1)
    return page[start:end if end != -1 else None]


def row_numbers(part: str) -> list[int]:
    return [int(n) for n in re.findall(r'<th scope="row">(\d+)</th>', part)]


ROUTES = [("GET", "/members/import"), ("POST", "/members/import"),
          ("POST", "/members/import/confirm"), ("GET", "/members/import/template.csv"),
          ("GET", "/members/export.csv")]


@pytest.mark.parametrize("method, path", ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in(client, method, path):
    response = client.get(path) if method == "GET" else client.post(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("method, path", ROUTES)
def test_a_member_who_is_not_focal_contact_gets_403(client, login, member, method, path):
    login(member)
    response = client.get(path) if method == "GET" else client.post(path)
    assert response.status_code == 403
    assert "text/csv" not in response.headers["Content-Type"]


def test_the_upload_form_has_a_labelled_file_field_and_links_to_the_template(
        client, login, focal):
    login(focal)
    page = text(client.get("/members/import"))
    assert '<label for="file">CSV file</label>' in page
    assert 'enctype="multipart/form-data"' in page
    assert 'href="/members/import/template.csv"' in page


def test_the_issue_example_preview_names_the_ten_rows_then_valid_rows_are_written(
        client, login, focal, db):
    login(focal)
    data, expected = thousand_rows_with_ten_bad_ones()
    response = upload(client, data)
    page = text(response)
    assert response.status_code == 200
    assert "Nothing has been written yet" in page
    errors = section(page, "Rows with errors")
    assert "Rows with errors (10)" in errors
    assert row_numbers(errors) == sorted(expected)
    for reasons in expected.values():
        for reason in reasons:
            assert reason in errors
    assert re.search(r"Members to create</th><td>990<", page)
    assert row_numbers(section(page, "To create")) == list(range(2, 17)) + [18, 19, 20, 21, 22]
    assert member_count(db) == 0  # nothing until the focal contact confirms

    response = client.post("/members/import/confirm",
                           data={"import_id": import_id(page), "mode": "valid_rows"})
    assert response.status_code == 302 and response.headers["Location"] == "/members/import"
    assert "990 created, 0 updated, 0 unchanged, 10 rows with errors skipped" in \
        text(client.get("/members/import"))
    assert member_count(db) == 990


def test_all_or_nothing_writes_nothing_and_the_valid_rows_can_still_be_chosen(
        client, login, focal, db):
    login(focal)
    data, _expected = thousand_rows_with_ten_bad_ones()
    page = text(upload(client, data))
    response = client.post("/members/import/confirm",
                           data={"import_id": import_id(page), "mode": "all_or_nothing"})
    assert response.status_code == 400
    assert "10 rows have errors, so nothing was imported (all or nothing)" in text(response)
    assert member_count(db) == 0
    client.post("/members/import/confirm",
                data={"import_id": import_id(page), "mode": "valid_rows"})
    assert member_count(db) == 990


def test_a_clean_file_all_or_nothing_is_written_whole(client, login, focal, db):
    login(focal)
    page = text(upload(client, csv_file([
        ["Ana", "ana@example.org", "academia", "AR", "", "", "no"],
        ["Bo", "bo@example.org", "government", "SE", "", "", "no"]])))
    client.post("/members/import/confirm",
                data={"import_id": import_id(page), "mode": "all_or_nothing"})
    assert member_count(db) == 2


def test_the_preview_shows_updates_with_their_changes_and_unchanged_rows(
        client, login, focal, db):
    make_member(name="Old Name", email="old@example.org", stakeholder_group="academia",
                country="KE")
    make_member(name="Same", email="same@example.org", stakeholder_group="academia",
                country="KE")
    login(focal)
    page = text(upload(client, csv_file([
        ["New Name", "old@example.org", "academia", "KE", "", "active", "no"],
        ["Same", "same@example.org", "academia", "KE", "", "active", "no"]])))
    updates = section(page, "To update")
    assert "<dt>Name</dt><dd>Old Name → New Name</dd>" in updates
    assert re.search(r"Unchanged</th><td>1<", page)
    assert "same@example.org" not in updates
    client.post("/members/import/confirm", data={"import_id": import_id(page),
                                                 "mode": "valid_rows"})
    assert db.session.scalar(select(Member.name).where(Member.email == "old@example.org")) == \
        "New Name"


def test_an_unreadable_file_is_refused_next_to_the_field(client, login, focal, db):
    login(focal)
    response = upload(client, b"Name;Phone\r\nAna;123\r\n")
    assert response.status_code == 400
    assert "there is none for E-mail, Stakeholder group" in text(response)
    assert 'aria-invalid="true"' in text(response)
    response = client.post("/members/import", data={})
    assert response.status_code == 400 and "Choose a CSV file to upload." in text(response)


def test_an_oversized_upload_gets_the_413_page(client, login, focal):
    login(focal)
    response = upload(client, b"x" * (21 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than the 20 MB this site accepts" in text(response)


def test_the_upload_is_kept_on_the_server_and_removed_once_confirmed(client, login, focal, app):
    login(focal)
    page = text(upload(client, csv_file([["Ana", "ana@example.org", "academia", "", "", "",
                                          ""]])))
    the_id = import_id(page)
    folder = Path(app.instance_path) / "imports"
    assert (folder / f"{the_id}.csv").exists()
    client.post("/members/import/confirm", data={"import_id": the_id, "mode": "valid_rows"})
    assert not list(folder.iterdir())
    # Confirming twice (a double click, the back button) writes nothing more.
    response = client.post("/members/import/confirm",
                           data={"import_id": the_id, "mode": "valid_rows"},
                           follow_redirects=True)
    assert "no longer waiting for confirmation" in text(response)


@pytest.mark.parametrize("forged", ["", "../../secret_key", "A" * 22])
def test_a_confirmation_for_an_unknown_upload_writes_nothing(client, login, focal, db, forged):
    login(focal)
    upload(client, csv_file([["Ana", "ana@example.org", "academia", "", "", "", ""]]))
    response = client.post("/members/import/confirm",
                           data={"import_id": forged, "mode": "valid_rows"})
    assert response.headers["Location"] == "/members/import"
    assert member_count(db) == 0


def test_an_upload_cannot_be_confirmed_by_someone_else_or_after_an_hour(
        client, login, focal, create_user, app, db):
    login(focal)
    page = text(upload(client, csv_file([["Ana", "ana@example.org", "academia", "", "", "",
                                          ""]])))
    the_id = import_id(page)
    other = app.test_client()
    other.post("/login", data={"email": create_user(role="focal_contact").email,
                               "password": "correct horse battery staple"})
    other.post("/members/import/confirm", data={"import_id": the_id, "mode": "valid_rows"})
    assert member_count(db) == 0
    meta = Path(app.instance_path) / "imports" / f"{the_id}.json"
    stale = json.loads(meta.read_text()) | {"at": (utcnow() - timedelta(hours=2)).isoformat()}
    meta.write_text(json.dumps(stale))
    client.post("/members/import/confirm", data={"import_id": the_id, "mode": "valid_rows"})
    assert member_count(db) == 0


def test_confirming_reads_the_file_again_so_later_changes_count(client, login, focal, db):
    login(focal)
    page = text(upload(client, csv_file([["Ana", "ana@example.org", "academia", "", "", "",
                                          ""]])))
    make_member(name="Ana", email="ana@example.org", stakeholder_group="academia",
                country=None)  # added by someone else meanwhile
    response = client.post("/members/import/confirm",
                           data={"import_id": import_id(page), "mode": "valid_rows"},
                           follow_redirects=True)
    assert "0 created, 0 updated, 1 unchanged" in text(response)
    assert member_count(db) == 1


def test_the_template_downloads_with_the_header_and_an_example(client, login, focal):
    login(focal)
    response = client.get("/members/import/template.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Name", "E-mail", "Title"] and len(rows) == 2


def test_the_export_follows_the_directory_filters_and_neutralises_formulas(
        client, login, focal):
    make_member(name='=HYPERLINK("http://evil.example","click")', email="evil@example.org",
                stakeholder_group="academia")
    make_member(name="Gov Person", email="gov@example.org", stakeholder_group="government")
    make_member(name="Gone", email="gone@example.org", stakeholder_group="academia",
                status="left")
    login(focal)
    response = client.get("/members/export.csv?stakeholder_group=academia")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"members-")
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(\"http://evil.example\",\"click\")"]
    rows = list(csv.reader(io.StringIO(client.get(
        "/members/export.csv?status=&q=go").get_data(as_text=True).removeprefix("\ufeff"))))
    assert sorted(row[0] for row in rows[1:]) == ["Gone", "Gov Person"]


def test_a_round_trip_through_the_web_changes_nothing(client, login, focal):
    make_member(name='=1+1', email="formula@example.org", title="@home")
    make_member(name="Ordinary", email="ordinary@example.org", country="BR")
    login(focal)
    exported = client.get("/members/export.csv").get_data()
    page = text(upload(client, exported, "export.csv"))
    assert re.search(r"Unchanged</th><td>2<", page)
    assert "Nothing to write: no row would create or change a member." in page


def test_a_new_upload_replaces_the_one_waiting(client, login, focal, db, app):
    login(focal)
    first = import_id(text(upload(client, csv_file([["Ana", "ana@example.org", "academia", "",
                                                     "", "", ""]]))))
    second = import_id(text(upload(client, csv_file([["Bo", "bo@example.org", "academia", "",
                                                      "", "", ""]]))))
    assert sorted(p.stem for p in (Path(app.instance_path) / "imports").glob("*.csv")) == \
        [second]
    client.post("/members/import/confirm", data={"import_id": first, "mode": "valid_rows"})
    assert member_count(db) == 0
    client.post("/members/import/confirm", data={"import_id": second, "mode": "valid_rows"})
    assert db.session.scalar(select(Member.name)) == "Bo"
