"""Importing members from a CSV file: every row is read and checked into a preview first;
once the focal contact confirms, the preview is written in bulk, in one transaction."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from sqlalchemy import String, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql

from coalition.audit import services as audit
from coalition.audit.models import AuditEvent
from coalition.auth.models import Actor, User
from coalition.db import today as today_utc
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import membership as list_membership
from coalition.members import countries, services
from coalition.members.models import Gender, Member, MemberStatus, Organization, StakeholderGroup
from coalition.validation import clean_name, normalize_email

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
VALID_ROWS, ALL_OR_NOTHING = "valid_rows", "all_or_nothing"
MODES = (VALID_ROWS, ALL_OR_NOTHING)
CHUNK = 5_000  # rows per bulk statement (and per step of a progress bar)
# The bulk writes go to the tables directly (Core executemany): the ORM's per-row
# bookkeeping would cost more than the database does.
MEMBERS = Member.__table__
UPDATE_MEMBER = update(MEMBERS).where(MEMBERS.c.id == bindparam("member_id"))


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as the template and the export write it
    help: str  # what to write in it, for the import page
    aliases: tuple[str, ...] = ()


_CONSENT = "yes or no: the member's consent to show this in the public directory."
# The template's columns, in its order; the export writes the same ones (plus the region).
COLUMNS = (
    Column("name", "Name", "The person's name.", ("fullname", "membername")),
    Column("email", "E-mail", "One address per member; it finds members already in the "
                              "directory.", ("emailaddress", "mail")),
    Column("title", "Title", "Their job title.", ("jobtitle", "position")),
    Column("organization", "Organization", "The organization's name or acronym; a name not "
                                           "yet known creates the organization.",
           ("organisation", "org", "organizationname", "organisationname", "institution")),
    Column("stakeholder_group", "Stakeholder group",
           "government, civil_society, private_sector, technical_community, academia or "
           "intergovernmental (or the names, such as Civil society).",
           ("stakeholder", "group", "sector")),
    Column("country", "Country", "The two-letter ISO code (KE) or the name (Kenya); the UN "
                                 "region follows from it.", ("countrycode", "countryname")),
    Column("status", "Status", "applicant, active, lapsed or left; new members are active "
                               "when it is empty.", ("memberstatus",)),
    Column("gender", "Gender", "woman, man, non_binary, self_described or undisclosed."),
    Column("gender_description", "Gender description", "Read only when the gender is "
                                                       "self_described.",
           ("genderselfdescribed",)),
    Column("listed_publicly", "Listed publicly", "yes or no: whether the member appears in "
                                                 "the public directory at all.",
           ("listed", "publiclisting")),
    Column("show_name", "Show name", _CONSENT),
    Column("show_organization", "Show organization", _CONSENT, ("showorganisation",)),
    Column("show_stakeholder_group", "Show stakeholder group", _CONSENT),
    Column("show_country", "Show country", _CONSENT),
)
LABELS = {column.field: column.header for column in COLUMNS} | {"region": "Region"}
REQUIRED = ("name", "email", "stakeholder_group")
FLAGS = ("listed_publicly", "show_name", "show_organization", "show_stakeholder_group",
         "show_country")
# Columns the import knows but does not read, and why.
DERIVED = {"region": "the region follows the country"}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
# A spreadsheet runs a cell starting with one of these; the export prefixes a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _key(text: str) -> str:
    """Headers and vocabulary match whatever their case, spaces and punctuation."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


HEADER_FIELDS = {alias: column.field for column in COLUMNS
                 for alias in (_key(column.field), _key(column.header), *column.aliases)}


def _vocabulary(values) -> dict[str, str]:
    return {_key(text): value.value for value in values for text in (value.value, value.label)}


GROUPS = _vocabulary(StakeholderGroup)
STATUSES = _vocabulary(MemberStatus)
GENDERS = _vocabulary(Gender)


@dataclass(slots=True)
class RowResult:
    """One row of the file: what the import would do with it, or why it cannot."""

    number: int  # as the spreadsheet shows it: the header is row 1
    action: str
    name: str = ""
    email: str = ""
    values: dict = field(default_factory=dict)  # checked member fields to write
    changes: dict = field(default_factory=dict)  # update: {field: [old, new]}
    errors: list[str] = field(default_factory=list)
    member_id: int | None = None
    new_organization: str | None = None  # an organization to create and link
    new_status: str | None = None  # an existing member's status change


@dataclass
class ImportPreview:
    rows: list[RowResult]
    columns: list[str]  # the member fields the file has a column for
    ignored: list[str]  # headers the import does not read, with why where known
    notes: list[str] = field(default_factory=list)
    new_organizations: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in (CREATE, UPDATE, UNCHANGED, ERROR)}

    def rows_to(self, action: str, limit: int | None = None) -> list[RowResult]:
        return list(islice((row for row in self.rows if row.action == action), limit))

    def summary(self) -> str:
        counts = self.counts
        return (f"{counts[CREATE]} to create, {counts[UPDATE]} to update, "
                f"{counts[UNCHANGED]} unchanged, {counts[ERROR]} with errors")


@dataclass(frozen=True)
class ImportRun:
    """What the audit trail records an import against (an import has no table of its own)."""

    id: str
    __tablename__ = "member_imports"


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    created: int
    updated: int
    unchanged: int
    skipped: int
    organizations: int

    def summary(self) -> str:
        text = (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.skipped} rows with errors skipped")
        if self.organizations:
            text += f"; {self.organizations} new organizations"
        return text


def require_manager(actor: Actor) -> None:
    if not services.can_manage(actor):
        raise PermissionDenied("Only a focal contact can import members.")


# --- reading the file -----------------------------------------------------------------

def template_csv() -> str:
    """The header row and one example row, as a file to fill in."""
    example = ["Amina Diallo", "amina.diallo@example.org", "Policy officer",
               "Example Foundation", "civil_society", "SN", "active", "woman", "", "yes",
               "yes", "yes", "yes", "yes"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([[column.header for column in COLUMNS], example])
    return "\ufeff" + buffer.getvalue()


def _decode(data: bytes) -> tuple[str, list[str]]:
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError("file", "This is a spreadsheet workbook, not a CSV file: in "
                                      "Excel choose Save As › CSV UTF-8 and upload that file.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, notes = data.decode("utf-16"), []
    else:
        try:
            text, notes = data.decode("utf-8-sig"), []
        except UnicodeDecodeError:
            try:  # what Excel's plain "CSV" writes on Windows
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise ValidationError("file", "The file is not UTF-8 text. Save it as CSV "
                                              "UTF-8 and upload it again.") from None
            notes = ["The file is not UTF-8, so it was read as Windows-1252 (Excel's plain "
                     "CSV): check accented letters below, or save it as CSV UTF-8."]
    if "\x00" in text:
        raise ValidationError("file", "This is not a text file. Upload a CSV file.")
    return text, notes


def _delimiter(text: str) -> str:
    """Comma, or the semicolon European Excel writes, or a tab: whichever the header has
    most of."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _cell(value: str) -> str:
    value = value.strip()
    # Undo the export's protection against formulas, so a round trip changes nothing.
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        value = value[1:]
    return value


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:
        raise ValidationError("file", f"Row {number + 1} is not valid CSV ({error}). Nothing "
                                      "was read; correct the file and upload it again.") from None


def _header(cells: list[str]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    ignored = []
    for position, header in enumerate(cells):
        key = _key(header)
        name = HEADER_FIELDS.get(key)
        if name is None:
            if header.strip():
                reason = DERIVED.get(key)
                ignored.append(f"{header.strip()} ({reason})" if reason else header.strip())
            continue
        if name in index:
            raise ValidationError("file", f"Two columns are both read as {LABELS[name]}: "
                                          f"keep one of them.")
        index[name] = position
    missing = [LABELS[name] for name in REQUIRED if name not in index]
    if missing:
        raise ValidationError("file", "The first row must name the columns; there is none "
                                      f"for {', '.join(missing)}. Download the template to "
                                      "see them.")
    return index, ignored


# --- checking each row ----------------------------------------------------------------

def _choice(value: str, vocabulary: dict[str, str], what: str, required: bool) -> str | None:
    if not value:
        if required:
            raise ValidationError(None, f"Enter {what}.")
        return None
    code = vocabulary.get(_key(value))
    if code is None:
        codes = ", ".join(dict.fromkeys(vocabulary.values()))
        raise ValidationError(None, f"{_quoted(value)} is not {what} we know (write one of "
                                    f"{codes}).")
    return code


def _quoted(value: str) -> str:
    """A cell's value in a message, cut short so a long one cannot swamp the preview."""
    return repr(value if len(value) <= 40 else value[:39] + "…")


def _country(value: str) -> str | None:
    if len(value) > 60:  # no country's name is this long; keep the message short
        raise ValidationError(None, f"{_quoted(value)} is not a country we know.")
    return services.check_country(value)


def _flag(value: str) -> bool:
    value = value.lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError(None, f"{_quoted(value)}: write yes or no.")


def _text(value: str, limit: int) -> str | None:
    value = " ".join(value.split())
    if len(value) > limit:
        raise ValidationError(None, f"Keep it under {limit} characters.")
    return value or None


def _repeated(check: Callable[[str], object]) -> Callable[[str], object]:
    """Columns such as the country repeat a few values over many rows: check each once."""
    return functools.lru_cache(maxsize=1024)(check)


CHECKS: dict[str, Callable[[str], object]] = {
    "name": clean_name,
    "email": normalize_email,
    "title": lambda value: _text(value, 200),
    "organization": lambda value: _text(value, 300),
    "stakeholder_group": _repeated(lambda value: _choice(value, GROUPS, "a stakeholder group",
                                                         True)),
    "country": _repeated(_country),
    "status": _repeated(lambda value: _choice(value, STATUSES, "a member status", False)),
    "gender": _repeated(lambda value: _choice(value, GENDERS, "a gender", False)),
    "gender_description": lambda value: _text(value, 100),
    **{flag: _repeated(_flag) for flag in FLAGS},
}


def _check(number: int, cells: list[str], index: dict[str, int]) -> RowResult:
    row = RowResult(number, CREATE)
    for name, position in index.items():
        raw = _cell(cells[position]) if position < len(cells) else ""
        try:
            row.values[name] = CHECKS[name](raw)
        except ValidationError as error:
            row.errors.append(f"{LABELS[name]}: {error.message}")
            row.values[name] = None
        if name in ("name", "email"):
            setattr(row, name, raw)
    if row.errors:
        row.action = ERROR
    return row


# --- the preview ----------------------------------------------------------------------

def preview_import(actor: Actor, data: bytes) -> ImportPreview:
    """Read `data` (a CSV file) and say, row by row, what importing it would do. Writes
    nothing. A file that cannot be read at all raises ValidationError("file", ...)."""
    require_manager(actor)
    text, notes = _decode(data)
    records = _records(text, _delimiter(text))
    first = next(records, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise ValidationError("file", "The file is empty. The first row must name the "
                                      "columns (download the template to see them).")
    index, ignored = _header(first[1])
    rows = [_check(number, cells, index) for number, cells in records
            if any(cell.strip() for cell in cells)]
    if not rows:
        raise ValidationError("file", "The file has a header row but no members below it.")
    _mark_duplicates(rows)
    existing = _existing([row.values["email"] for row in rows if row.action != ERROR])
    organizations = _organizations()
    new_organizations: dict[str, str] = {}
    for row in rows:
        if row.action != ERROR:
            _plan(row, existing.get(row.values["email"]), organizations, new_organizations)
    return ImportPreview(rows=rows, columns=list(index), ignored=ignored, notes=notes,
                         new_organizations=sorted(new_organizations.values(), key=str.lower))


def _mark_duplicates(rows: list[RowResult]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        email = row.values.get("email")
        if not email:
            continue
        if email in seen:
            row.errors.append(f"E-mail: the same address is already on row {seen[email]}.")
            row.action = ERROR
        else:
            seen[email] = row.number


EXISTING_COLUMNS = (Member.id, Member.email, Member.name, Member.title, Member.organization_id,
                    Member.organization_name, Organization.name.label("organization_label"),
                    Member.stakeholder_group, Member.country, Member.region,
                    Member.region_overridden, Member.status, Member.gender,
                    Member.gender_description, *(getattr(Member, flag) for flag in FLAGS))


def _existing(emails: list[str]) -> dict[str, object]:
    """The members these addresses already belong to, as rows (not objects: it is faster)."""
    query = select(*EXISTING_COLUMNS).outerjoin(
        Organization, Member.organization_id == Organization.id)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    found = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        if postgres:
            # Joined to one array parameter: `email IN (500 parameters)`, once prepared,
            # gets a generic plan comparing every member with every address (0.4 s a
            # chunk at 100,000 members); a join is hashed or probes the index.
            wanted = func.unnest(bindparam("emails", chunk, type_=postgresql.ARRAY(String))) \
                .table_valued("email").render_derived(name="wanted")
            rows = db.session.execute(query.join(wanted, wanted.c.email == Member.email))
        else:
            rows = db.session.execute(query.where(Member.email.in_(chunk)))
        found.update((row.email, row) for row in rows)
    return found


def _organizations() -> dict[str, tuple[int, str]]:
    """Lower-cased name or acronym → (id, name), as services.organization_by_name matches
    them; one query instead of one per row. Names win over acronyms."""
    found: dict[str, tuple[int, str]] = {}
    rows = db.session.execute(select(Organization.id, Organization.name, Organization.acronym)
                              .order_by(Organization.id)).all()
    for id_, name, acronym in rows:
        if acronym:
            found.setdefault(" ".join(acronym.split()).lower(), (id_, name))
    for id_, name, _acronym in rows:
        found[" ".join(name.split()).lower()] = (id_, name)
    return found


def _plan(row: RowResult, member, organizations: dict, new_organizations: dict) -> None:
    """Decide create, update or unchanged, and fill the values to write."""
    values = row.values
    if "organization" in values:
        wanted = values.pop("organization")
        match = organizations.get(wanted.lower()) if wanted else None
        values["organization_id"] = match[0] if match else None
        values["organization_name"] = None
        if wanted and not match:
            if member is not None and member.organization_id is None and \
                    (member.organization_name or "").lower() == wanted.lower():
                values["organization_name"] = member.organization_name  # as it was: kept
            else:
                row.new_organization = new_organizations.setdefault(wanted.lower(), wanted)
        organization_label = match[1] if match else wanted
    if "gender" in values or "gender_description" in values:
        gender = values.get("gender", member.gender if member else None)
        description = values.get("gender_description",
                                 member.gender_description if member else None)
        values["gender_description"] = description if gender == Gender.SELF_DESCRIBED else None
    if member is None:
        row.values = _new_member(values)
        return
    row.member_id = member.id
    old = {name: getattr(member, name) for name in values if hasattr(member, name)}
    if "organization_id" in values:
        old["organization"] = member.organization_label or member.organization_name
        old_link = (member.organization_id, member.organization_name)
        if old_link == (values["organization_id"], values["organization_name"]) and \
                row.new_organization is None:
            values["organization"] = old["organization"]
        else:
            values["organization"] = organization_label
    if "country" in values:
        old["region"] = member.region
        values["region"] = member.region if member.region_overridden else \
            countries.region_of(values["country"]).value
    status = values.pop("status", None)
    if status and status != member.status:
        if status not in services.TRANSITIONS[MemberStatus(member.status)]:
            row.errors.append(f"Status: a member who is {member.status} cannot become "
                              f"{status}.")
            row.action = ERROR
            return
        row.new_status = status
        row.changes["status"] = [member.status, status]
    shown = {name for name in values if name in LABELS and name != "email"}
    row.changes.update({name: [old[name], values[name]] for name in sorted(shown)
                        if old[name] != values[name]})
    values.pop("organization", None)
    values.pop("email")
    if "name" in values:
        values["sort_name"] = values["name"].lower()
    row.action = UPDATE if row.changes else UNCHANGED


def _new_member(values: dict) -> dict:
    """Every column of a new member's row (the bulk insert needs the same keys in each)."""
    row = {"name": values["name"], "sort_name": values["name"].lower(),
           "email": values["email"], "title": values.get("title"),
           "organization_id": values.get("organization_id"),
           "organization_name": values.get("organization_name"),
           "stakeholder_group": values["stakeholder_group"],
           "country": values.get("country"),
           "region": countries.region_of(values.get("country")).value,
           "region_overridden": False,
           "gender": values.get("gender"), "gender_description": values.get("gender_description"),
           "status": values.get("status") or MemberStatus.ACTIVE.value}
    row.update({flag: bool(values.get(flag)) for flag in FLAGS})
    return row


# --- writing --------------------------------------------------------------------------

def apply_import(actor: Actor, preview: ImportPreview, mode: str = VALID_ROWS,
                 progress: Callable[[int], None] | None = None, source: str = "",
                 today: date | None = None) -> ImportResult:
    """Write what `preview` plans: every valid row, or (all or nothing) nothing at all if a
    row has an error. Only flushes; the caller commits, so the import is one transaction."""
    require_manager(actor)
    if mode not in MODES:
        raise ValidationError("mode", "Choose whether to import the valid rows only or all "
                                      "or nothing.")
    counts = preview.counts
    if counts[ERROR] and mode == ALL_OR_NOTHING:
        raise ValidationError("mode", f"{counts[ERROR]} rows have errors, so nothing was "
                                      "imported (all or nothing). Correct them and upload the "
                                      "file again, or import the valid rows only.")
    progress = progress or (lambda _n: None)
    run = ImportRun(secrets.token_hex(8))
    now, today = utcnow(), today or today_utc()
    who = {"actor_id": actor.id if isinstance(actor, User) else None,
           "actor_label": actor.audit_label, "at": now}
    organization_ids = _create_organizations(preview.new_organizations, who, run, now)

    def linked(row: RowResult) -> dict:
        if row.new_organization is None:
            return row.values
        return {**row.values, "organization_id": organization_ids[row.new_organization.lower()]}

    creates = preview.rows_to(CREATE)
    for start in range(0, len(creates), CHUNK):
        chunk = creates[start:start + CHUNK]
        db.session.execute(insert(MEMBERS), [
            {**linked(row), **_status_dates(row.values["status"], today),
             "created_at": now, "updated_at": now} for row in chunk])
        progress(len(chunk))
    updates = preview.rows_to(UPDATE)
    for start in range(0, len(updates), CHUNK):
        chunk = updates[start:start + CHUNK]
        db.session.execute(UPDATE_MEMBER, [
            {**linked(row), "member_id": row.member_id, "updated_at": now} for row in chunk])
        events = [{**who, "entity_type": "members", "entity_id": str(row.member_id),
                   "action": "update", "summary": f"import {run.id}",
                   "changes": {name: values for name, values in row.changes.items()
                               if name != "status"}}  # set_status records its own
                  for row in chunk if set(row.changes) - {"status"}]
        if events:  # an empty list would insert one empty row
            db.session.execute(insert(AuditEvent.__table__), events)
        progress(len(chunk))
    _forget(row.member_id for row in updates)
    for row in updates:
        if row.new_status:  # rare; the service keeps the dates, the login and the trail
            services.set_status(actor, db.session.get(Member, row.member_id), row.new_status,
                                on=today)
    list_membership.after_import(actor)
    result = ImportResult(run.id, len(creates), len(updates), counts[UNCHANGED], counts[ERROR],
                          len(organization_ids))
    audit.record(actor, "import", run,
                 {"created": [None, result.created], "updated": [None, result.updated],
                  "unchanged": [None, result.unchanged], "skipped": [None, result.skipped],
                  "organizations": [None, result.organizations]},
                 summary=f"members imported from {source or 'a CSV file'} ({mode}): "
                         f"{result.summary()}")
    return result


def _status_dates(status: str, today: date) -> dict[str, date | None]:
    """The date the status stamps, and None for the others (one shape for every row)."""
    stamped = services.STATUS_DATE[status]  # keyed by StrEnum members, which equal strings
    return {name: today if name == stamped else None
            for name in services.STATUS_DATE.values()}


def _create_organizations(names: list[str], who: dict, run: ImportRun, now) -> dict[str, int]:
    if not names:
        return {}
    ids = db.session.scalars(
        insert(Organization).returning(Organization.id, sort_by_parameter_order=True),
        [{"name": name, "is_archived": False, "created_at": now, "updated_at": now}
         for name in names]).all()
    db.session.execute(insert(AuditEvent.__table__), [
        {**who, "entity_type": "organizations", "entity_id": str(id_), "action": "create",
         "summary": f"import {run.id}", "changes": {"name": [None, name]}}
        for id_, name in zip(ids, names, strict=True)])
    return {name.lower(): id_ for id_, name in zip(ids, names, strict=True)}


def _forget(member_ids) -> None:
    """Members loaded before the bulk update hold the old values: reload them on next use."""
    ids = set(member_ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Member) and obj.id in ids:
            db.session.expire(obj)
