"""Importing subscribers into a list from a CSV file (a column `email`, optionally `name`).

Every row is checked before anything is written, and every bad row is named by its line.
All or nothing by default; the valid rows only if asked. Addresses already subscribed are
counted and left alone, and addresses whose owner unsubscribed are not put back: only the
owner can subscribe again. The web page and, later, a command call the same service.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select

from coalition.audit import services as audit
from coalition.auth.models import Actor
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import services, subscriptions
from coalition.mail.models import (
    MailingList,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    new_subscription_token,
)
from coalition.validation import normalize_email

ALL_OR_NOTHING, VALID_ROWS = "all_or_nothing", "valid_rows"
MODES = (ALL_OR_NOTHING, VALID_ROWS)
MAX_NAME = 200
# What becomes of a row without errors.
ADD = "add"  # a new address, or one waiting or removed by a focal contact: subscribed
ALREADY = "already"  # subscribed already: left as it is
LEFT = "left"  # its owner unsubscribed: only they can come back
DISABLED = "disabled"  # disabled by bounces: a focal contact re-enables it on purpose
HEADERS = {"email": "email", "emailaddress": "email", "mail": "email", "address": "email",
           "name": "name", "fullname": "name", "displayname": "name"}
CHUNK = 500  # addresses per query or insert


@dataclass
class ImportRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    email: str  # normalised when valid, else as written
    name: str = ""
    errors: list[str] = field(default_factory=list)
    outcome: str | None = None
    subscription_id: int | None = None


@dataclass
class ImportCheck:
    """The file read and every row checked against the list; nothing written yet."""

    rows: list[ImportRow]
    ignored: list[str] = field(default_factory=list)  # columns not read
    notes: list[str] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    def rows_to(self, outcome: str) -> list[ImportRow]:
        return [row for row in self.rows if row.outcome == outcome]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


class ImportRefused(ValidationError):
    """Some rows are wrong and the import is all or nothing: nothing was written."""

    def __init__(self, check: ImportCheck):
        bad = len(check.bad_rows)
        super().__init__("file", f"{bad} row{'s' if bad != 1 else ''} of the file "
                                 f"{'have' if bad != 1 else 'has'} errors, so nothing was "
                                 "imported. Correct them and upload the file again, or "
                                 "choose to import only the valid rows.")
        self.check = check


@dataclass(frozen=True)
class ImportResult:
    check: ImportCheck
    added: int
    already: int
    left: int
    disabled: int
    skipped: int  # rows with errors, left out

    def summary(self) -> str:
        text = f"{self.added} subscribed, {self.already} already subscribed"
        if self.left:
            text += f", {self.left} not added back because they unsubscribed themselves"
        if self.disabled:
            text += f", {self.disabled} disabled by bounces left as they are"
        if self.skipped:
            text += f", {self.skipped} rows with errors skipped"
        return text


# --- reading the file -------------------------------------------------------------------

def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _quoted(value: str) -> str:
    """A cell in a message, cut short so a long one cannot swamp the page."""
    return "“" + (value if len(value) <= 60 else value[:59] + "…") + "”"


def _decode(data: bytes) -> tuple[str, list[str]]:
    if not data.strip():
        raise ValidationError("file", "The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError("file", "This is a spreadsheet workbook, not a CSV file: in "
                                      "Excel choose Save As › CSV UTF-8 and upload that file.")
    notes: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            notes.append("The file is not UTF-8, so it was read as Windows-1252 (Excel's "
                         "plain CSV): check accented names, or save it as CSV UTF-8.")
    if "\x00" in text:
        raise ValidationError("file", "This is not a text file. Upload a CSV file.")
    return text, notes


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _records(text: str) -> list[tuple[int, list[str]]]:
    lines = text.lstrip("\r\n")
    skipped = text[:len(text) - len(lines)].count("\n")
    # Strict: a quote opened and never closed is an error, not the rest of the file
    # swallowed into one cell.
    reader = csv.reader(io.StringIO(lines, newline=""), strict=True,
                        delimiter=_delimiter(lines.split("\n", 1)[0]))
    records = []
    try:
        for cells in reader:
            records.append((skipped + reader.line_num, cells))
    except csv.Error as error:
        raise ValidationError("file", f"Line {skipped + reader.line_num} is not valid CSV "
                                      f"({error}; is a quote left open?). Nothing was "
                                      "imported.") from None
    return records


def _columns(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(cells):
        name = HEADERS.get(_key(header))
        if name is None:
            if header.strip():
                ignored.append(header.strip())
        elif name in columns:
            raise ValidationError("file", f"Two columns are both read as the {name}: keep one "
                                          "of them.")
        else:
            columns[name] = position
    if "email" not in columns:
        first = next((cell.strip() for cell in cells if cell.strip()), "")
        if "@" in first:
            raise ValidationError("file", f"The first row must name the columns, but it reads "
                                          f"{_quoted(first)}, an address. Add a first row "
                                          "with email (and name, if the file has names).")
        raise ValidationError("file", "The first row must name the columns; none of them is "
                                      "email. Name the column of addresses email (and the "
                                      "column of names name).")
    return columns, ignored


def _cell(cells: list[str], position: int | None) -> str:
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def _check_row(number: int, cells: list[str], columns: dict[str, int],
               seen: dict[str, int]) -> ImportRow:
    raw = _cell(cells, columns["email"])
    name = " ".join(_cell(cells, columns.get("name")).split())
    row = ImportRow(number, raw, name)
    if not raw:
        row.errors.append("There is no e-mail address.")
    else:
        try:
            row.email = normalize_email(raw)
        except ValidationError:
            row.errors.append(f"{_quoted(raw)} is not a valid e-mail address.")
        else:
            if row.email in seen:
                row.errors.append(f"The same address as row {seen[row.email]}.")
            else:
                seen[row.email] = number
    if len(name) > MAX_NAME:
        row.errors.append(f"The name is {len(name)} characters long; keep it under "
                          f"{MAX_NAME}.")
    return row


def read_rows(data: bytes) -> ImportCheck:
    """Every row of the file, each checked on its own and against the rows before it."""
    text, notes = _decode(data)
    records = [(number, cells) for number, cells in _records(text)
               if any(cell.strip() for cell in cells)]  # blank lines are not rows
    if not records:
        raise ValidationError("file", "The file is empty.")
    (_, header), body = records[0], records[1:]
    columns, ignored = _columns(header)
    if not body:
        raise ValidationError("file", "The file has its first row of column names but no "
                                      "addresses under it.")
    seen: dict[str, int] = {}
    return ImportCheck([_check_row(number, cells, columns, seen) for number, cells in body],
                       ignored, notes)


# --- checking against the list ------------------------------------------------------------

def _existing(mailing_list: MailingList, emails: list[str]) -> dict[str, Subscription]:
    found: dict[str, Subscription] = {}
    for start in range(0, len(emails), CHUNK):
        for subscription in db.session.scalars(select(Subscription).where(
                Subscription.list_id == mailing_list.id,
                Subscription.email.in_(emails[start:start + CHUNK]))):
            found[subscription.email] = subscription
    return found


def _require(actor: Actor, mailing_list: MailingList) -> None:
    if not services.can_manage(actor):
        raise PermissionDenied("Only a focal contact can import subscribers.")
    if mailing_list.is_archived:
        raise ValidationError(None, "This list is archived: it takes no new subscribers.")


def check_file(actor: Actor, mailing_list: MailingList, data: bytes) -> ImportCheck:
    """Read the file and say what would become of each row; writes nothing."""
    _require(actor, mailing_list)
    check = read_rows(data)
    valid = [row for row in check.rows if not row.errors]
    existing = _existing(mailing_list, [row.email for row in valid])
    unsubscribed = [s.id for s in existing.values()
                    if s.status == SubscriptionStatus.UNSUBSCRIBED]
    left = subscriptions.left_on_their_own(unsubscribed)
    for row in valid:
        subscription = existing.get(row.email)
        row.subscription_id = subscription.id if subscription is not None else None
        if subscription is None or subscription.status == SubscriptionStatus.PENDING:
            row.outcome = ADD
        elif subscription.is_active:
            row.outcome = ALREADY
        elif subscription.status == SubscriptionStatus.DISABLED:
            row.outcome = DISABLED
        else:
            row.outcome = LEFT if subscription.id in left else ADD
    return check


def import_subscribers(actor: Actor, mailing_list: MailingList, data: bytes,
                       mode: str = ALL_OR_NOTHING, source: str = "",
                       now: datetime | None = None) -> ImportResult:
    """Subscribe the file's addresses (no confirmation e-mail: the focal contact vouches for
    them). Raises ImportRefused, writing nothing, if a row is wrong and `mode` is all or
    nothing. Only flushes."""
    if mode not in MODES:
        raise ValidationError("mode", "Choose what to do with rows that have errors.")
    now = now or utcnow()
    check = check_file(actor, mailing_list, data)
    bad = check.bad_rows
    if bad and mode == ALL_OR_NOTHING:
        raise ImportRefused(check)
    to_add = check.rows_to(ADD)
    new = [{"list_id": mailing_list.id, "email": row.email, "name": row.name,
            "status": SubscriptionStatus.ACTIVE.value,
            "source": SubscriptionSource.IMPORT.value, "delivery_enabled": True,
            "token": new_subscription_token(), "bounce_score": 0.0, "created_at": now,
            "subscribed_at": now}
           for row in to_add if row.subscription_id is None]
    for start in range(0, len(new), CHUNK):
        db.session.execute(insert(Subscription), new[start:start + CHUNK])
    for row in to_add:
        if row.subscription_id is not None:  # waiting, or removed by a focal contact
            subscriptions.add_subscriber(actor, mailing_list, row.email, row.name,
                                    source=SubscriptionSource.IMPORT.value, now=now)
    result = ImportResult(check, added=len(to_add), already=check.count(ALREADY),
                          left=check.count(LEFT), disabled=check.count(DISABLED),
                          skipped=len(bad))
    what = f" from {source}" if source else ""
    audit.record(actor, "import", mailing_list, summary=f"CSV import{what}: "
                                                        f"{result.summary()}")
    return result
