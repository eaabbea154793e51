"""Importing subscribers from a CSV file: every bad row named by its line, all or nothing
(or the valid rows only), present addresses left alone, and people who unsubscribed
themselves never put back. The service first, then its page."""

from __future__ import annotations

import html
import io

import pytest
from sqlalchemy import func, select

from coalition.audit.models import AuditEvent
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import imports, services, subscriptions
from coalition.mail.models import Subscription, SubscriptionStatus
from tests.factories import SYSTEM, make_user
from tests.mail.fixtures_manage import make_list, subscribe, text_of

BAD_FILE = (
    "email,name\n"
    "ama@example.org,Ama Mensah\n"  # 2: fine
    "not-an-address,Nobody\n"  # 3
    "AMA@Example.org,Ama again\n"  # 4: the same as row 2
    ",No address\n"  # 5
    f"long@example.org,{'x' * 201}\n"  # 6
    "joao@example.org,João Silva\n"  # 7: fine
)

def csv_bytes(*rows: str, header: str = "email,name") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def emails(status: str | None = None) -> list[str]:
    query = select(Subscription.email).order_by(Subscription.email)
    if status:
        query = query.where(Subscription.status == status)
    return list(db.session.scalars(query))


@pytest.fixture
def board(app):
    return make_list("board-announce")


# --- the service ------------------------------------------------------------------------

def test_a_good_file_subscribes_everyone_in_it(board):
    result = imports.import_subscribers(SYSTEM, board, csv_bytes(
        "ama@example.org,Ama Mensah", "  Joao@Example.ORG  ,  ", "li@example.org,李 明"),
        source="members.csv")
    db.session.commit()
    assert (result.added, result.already, result.left, result.skipped) == (3, 0, 0, 0)
    rows = db.session.execute(select(Subscription.email, Subscription.name,
                                     Subscription.status, Subscription.source)
                              .order_by(Subscription.email)).all()
    assert rows == [("ama@example.org", "Ama Mensah", "active", "import"),
                    ("joao@example.org", "", "active", "import"),
                    ("li@example.org", "李 明", "active", "import")]
    # Each has its own secret for the unsubscribe link.
    assert len(set(db.session.scalars(select(Subscription.token)))) == 3
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert event.entity_type == "mailing_lists"
    assert event.summary == "CSV import from members.csv: 3 subscribed, 0 already subscribed"


def test_every_bad_row_is_named_and_nothing_is_written(board):
    with pytest.raises(imports.ImportRefused) as refused:
        imports.import_subscribers(SYSTEM, board, BAD_FILE.encode())
    db.session.rollback()
    assert emails() == []
    problems = {row.number: row.errors for row in refused.value.check.bad_rows}
    assert problems == {
        3: ["“not-an-address” is not a valid e-mail address."],
        4: ["The same address as row 2."],
        5: ["There is no e-mail address."],
        6: ["The name is 201 characters long; keep it under 200."],
    }
    assert "4 rows of the file have errors, so nothing was imported" in \
        refused.value.message


def test_the_valid_rows_mode_imports_the_rest(board):
    result = imports.import_subscribers(SYSTEM, board, BAD_FILE.encode(), imports.VALID_ROWS)
    db.session.commit()
    assert emails() == ["ama@example.org", "joao@example.org"]
    assert (result.added, result.skipped) == (2, 4)
    assert [row.number for row in result.check.bad_rows] == [3, 4, 5, 6]


def test_present_addresses_are_counted_and_left_alone(board):
    [ama] = subscribe(board, "ama@example.org")
    subscriptions.set_delivery(SYSTEM, ama, False)
    db.session.commit()
    result = imports.import_subscribers(SYSTEM, board, csv_bytes(
        "ama@example.org,Another Name", "new@example.org"))
    db.session.commit()
    assert (result.added, result.already) == (1, 1)
    db.session.refresh(ama)
    assert (ama.name, ama.delivery_enabled) == ("Name of ama@example.org", False)


def test_people_who_unsubscribed_themselves_are_not_put_back(board):
    by_link, by_profile, by_focal, bouncing = subscribe(
        board, "link@example.org", "profile@example.org", "removed@example.org",
        "bounce@example.org")
    subscriptions.unsubscribe(None, by_link, "one-click")
    subscriptions.unsubscribe(None, by_profile, "link in the footer")
    bouncing.status = SubscriptionStatus.DISABLED.value
    subscriptions.unsubscribe(make_user(role="focal_contact"), by_focal,
                         subscriptions.REMOVED_BY_MANAGER)
    waiting = subscriptions.request_subscription(board, "waiting@example.org").subscription
    db.session.commit()
    result = imports.import_subscribers(SYSTEM, board, csv_bytes(
        "link@example.org", "profile@example.org", "removed@example.org",
        "bounce@example.org", "waiting@example.org"))
    db.session.commit()
    assert (result.added, result.left, result.disabled) == (2, 2, 1)
    assert [row.email for row in result.check.rows_to(imports.LEFT)] == \
        ["link@example.org", "profile@example.org"]
    assert emails("unsubscribed") == ["link@example.org", "profile@example.org"]
    assert emails("active") == ["removed@example.org", "waiting@example.org"]
    assert emails("disabled") == ["bounce@example.org"]
    db.session.refresh(waiting)
    assert waiting.source == "import"


def test_someone_who_came_back_and_left_again_stays_off(board):
    """The last unsubscription decides: removed by a focal contact, then re-added, then
    left on their own."""
    contact = make_user(role="focal_contact")
    [subscription] = subscribe(board, "back@example.org")
    subscriptions.unsubscribe(contact, subscription, subscriptions.REMOVED_BY_MANAGER)
    subscriptions.add_subscriber(contact, board, "back@example.org")
    subscriptions.unsubscribe(None, subscription, "link")
    db.session.commit()
    check = imports.check_file(SYSTEM, board, csv_bytes("back@example.org"))
    assert check.rows[0].outcome == imports.LEFT


UNREADABLE = [
    (b"", "The file is empty."),
    (b"\n\n", "The file is empty."),
    (b"ama@example.org,Ama\njo@example.org,Jo\n",
     "The first row must name the columns, but it reads “ama@example.org”, an address."),
    (b"Full name,Organization\nAma,CSN\n", "none of them is email"),
    (b"email,E-mail\nama@example.org,ama@example.org\n",
     "Two columns are both read as the email"),
    (b"email,name\n", "no addresses under it"),
    (b"PK\x03\x04 a workbook", "This is a spreadsheet workbook, not a CSV file"),
    (b"email\n\x00\x01\x02", "This is not a text file."),
    (b'email,name\n"ama@example.org,Ama\n', "not valid CSV"),
]


def test_a_file_that_cannot_be_read_says_why(board):
    for data, message in UNREADABLE:
        with pytest.raises(ValidationError) as error:
            imports.import_subscribers(SYSTEM, board, data, imports.VALID_ROWS)
        assert error.value.field == "file" and message in error.value.message, data
    assert emails() == []


def test_spreadsheet_habits_are_understood(board):
    """A byte order mark, semicolons, headers in any case, blank lines, extra columns."""
    data = "\ufeffE-Mail;Full Name;Organization\n\nama@example.org;Ama;CSN\n\n" \
           "jo@example.org;Jo;\n".encode()
    check = imports.check_file(SYSTEM, board, data)
    assert [(row.number, row.email, row.name) for row in check.rows] == \
        [(3, "ama@example.org", "Ama"), (5, "jo@example.org", "Jo")]
    assert check.ignored == ["Organization"]
    windows = "email,name\nze@example.org,José\n".encode("cp1252")
    check = imports.check_file(SYSTEM, board, windows)
    assert check.rows[0].name == "José" and "Windows-1252" in check.notes[0]


def test_only_a_focal_contact_imports_and_not_into_an_archived_list(board):
    with pytest.raises(PermissionDenied):
        imports.import_subscribers(make_user(), board, csv_bytes("a@example.org"))
    services.set_list_archived(SYSTEM, board, True)
    with pytest.raises(ValidationError, match="archived"):
        imports.import_subscribers(SYSTEM, board, csv_bytes("a@example.org"))
    assert emails() == []


def test_an_unknown_mode_is_refused(board):
    with pytest.raises(ValidationError) as error:
        imports.import_subscribers(SYSTEM, board, csv_bytes("a@example.org"), "some")
    assert error.value.field == "mode"


# --- the page ---------------------------------------------------------------------------

def upload(client, data: bytes, mode: str | None = None, name: str = "people.csv"):
    fields = {"file": (io.BytesIO(data), name)}
    if mode:
        fields["mode"] = mode
    return client.post("/lists/board-announce/subscribers/import", data=fields,
                       content_type="multipart/form-data")


def test_the_import_page_explains_the_file_and_defaults_to_all_or_nothing(focal_client,
                                                                         board):
    page = text_of(focal_client.get("/lists/board-announce/subscribers/import"))
    assert 'enctype="multipart/form-data"' in page
    assert "<input checked id=\"mode-0\" name=\"mode\" type=\"radio\" value=\"all_or_nothing\">" \
        in page
    assert "Addresses whose owner unsubscribed are not added back" in page


def test_the_page_lists_every_bad_row_and_writes_nothing(focal_client, board):
    response = upload(focal_client, BAD_FILE.encode())
    assert response.status_code == 400
    page = html.unescape(text_of(response))
    assert "4 rows of the file have errors, so nothing was imported." in page
    for number, problem in ((3, "“not-an-address” is not a valid e-mail address."),
                            (4, "The same address as row 2."),
                            (5, "There is no e-mail address."),
                            (6, "The name is 201 characters long")):
        assert f'<th scope="row">{number}</th>' in page and problem in page
    assert emails() == []


def test_the_page_imports_the_valid_rows_when_asked(focal_client, board):
    subscribe(board, "joao@example.org")
    response = upload(focal_client, BAD_FILE.encode(), imports.VALID_ROWS)
    assert response.status_code == 200
    page = html.unescape(text_of(response))
    assert "people.csv: 1 subscribed, 1 already subscribed, 4 rows with errors skipped." \
        in page
    assert "The same address as row 2." in page  # the skipped rows are still shown
    assert emails() == ["ama@example.org", "joao@example.org"]


def test_the_page_names_who_was_not_put_back(focal_client, board):
    [gone] = subscribe(board, "gone@example.org")
    subscriptions.unsubscribe(None, gone, "one-click")
    db.session.commit()
    page = html.unescape(text_of(upload(focal_client, csv_bytes("gone@example.org",
                                                                "new@example.org"))))
    assert "1 not added back because they unsubscribed themselves" in page
    assert "Not added back: they unsubscribed themselves (1)" in page
    assert "gone@example.org" in page
    assert emails("active") == ["new@example.org"]


def test_an_unreadable_file_or_none_at_all_is_explained(focal_client, board):
    response = upload(focal_client, b"PK\x03\x04", name="people.xlsx")
    assert response.status_code == 400
    assert "This is a spreadsheet workbook" in text_of(response)
    response = focal_client.post("/lists/board-announce/subscribers/import",
                                 data={"mode": imports.ALL_OR_NOTHING})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in text_of(response)


@pytest.mark.parametrize("app_overrides", [{"UPLOAD_MAX_MB": 1}])
def test_an_oversized_upload_gets_the_413_page(focal_client, board):
    data = csv_bytes(*(f"person{n}@example.org,Person {n}" for n in range(60_000)))
    assert len(data) > 1024 * 1024
    response = upload(focal_client, data)
    assert response.status_code == 413
    assert "larger than the 1 MB this site accepts. Nothing was saved." in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
