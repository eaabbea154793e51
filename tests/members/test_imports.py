"""Importing members from CSV (preview, then an atomic bulk write) and exporting the
directory as CSV, at the service level."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coalition.audit.models import AuditEvent
from coalition.errors import PermissionDenied, ValidationError
from coalition.members import exports, imports
from coalition.members.imports import (
    ALL_OR_NOTHING,
    CREATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    VALID_ROWS,
)
from coalition.members.models import Member, Organization
from coalition.members.queries import DirectoryFilter
from tests.factories import SYSTEM, make_member, make_organization
from tests.members.pages_import import HEADER, csv_file, thousand_rows_with_ten_bad_ones


def members(db) -> list[Member]:
    return list(db.session.scalars(select(Member).order_by(Member.id)))


def member_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


def errors_by_row(preview) -> dict[int, list[str]]:
    return {row.number: row.errors for row in preview.rows_to(ERROR)}


def only_row(preview):
    [row] = preview.rows
    return row


# --- the test: 1,000 rows, 10 bad ones -------------------------------------------

def test_the_preview_names_exactly_the_ten_bad_rows_and_why_and_writes_nothing(db, focal):
    data, expected = thousand_rows_with_ten_bad_ones()
    preview = imports.preview_import(focal, data)
    errors = errors_by_row(preview)
    assert sorted(errors) == sorted(expected)
    for number, reasons in expected.items():
        assert len(errors[number]) == len(reasons), (number, errors[number])
        for reason in reasons:
            assert any(error.startswith(reason) for error in errors[number]), \
                (number, reason, errors[number])
    assert preview.counts == {CREATE: 990, UPDATE: 0, UNCHANGED: 0, ERROR: 10}
    db.session.commit()
    assert member_count(db) == 0


def test_confirming_valid_rows_writes_the_990_others(db, focal):
    data, expected = thousand_rows_with_ten_bad_ones()
    result = imports.apply_import(focal, imports.preview_import(focal, data), VALID_ROWS)
    db.session.commit()
    assert (result.created, result.skipped) == (990, 10)
    emails = set(db.session.scalars(select(Member.email)))
    assert len(emails) == 990
    assert "person0016@example.org" not in emails  # row 17, whose address was spoiled
    assert "person0001@example.org" in emails  # row 2, whose address row 404 repeated
    assert "person0100@example.org" not in emails  # row 101, unknown country
    kenyan = db.session.scalar(select(Member).where(Member.email == "person0002@example.org"))
    assert (kenyan.stakeholder_group, kenyan.country, kenyan.region, kenyan.status) == (
        "private_sector", "KE", "african", "active")
    assert kenyan.joined_on is not None and not kenyan.listed_publicly


def test_all_or_nothing_refuses_when_a_row_is_bad_and_writes_nothing(db, focal):
    data, _expected = thousand_rows_with_ten_bad_ones()
    preview = imports.preview_import(focal, data)
    with pytest.raises(ValidationError, match="10 rows have errors, so nothing was imported"):
        imports.apply_import(focal, preview, ALL_OR_NOTHING)
    db.session.rollback()
    assert member_count(db) == 0


def test_all_or_nothing_writes_a_file_without_errors(db, focal):
    data = csv_file([["Ana", "ana@example.org", "academia", "AR", "", "", "no"],
                     ["Bo", "bo@example.org", "government", "SE", "", "lapsed", "yes"]])
    result = imports.apply_import(focal, imports.preview_import(focal, data), ALL_OR_NOTHING)
    db.session.commit()
    assert result.created == 2
    assert [(m.name, m.status, m.region, m.listed_publicly) for m in members(db)] == [
        ("Ana", "active", "latin_american_caribbean", False),
        ("Bo", "lapsed", "western_european_others", True)]
    assert members(db)[1].lapsed_on is not None


# --- reading files as spreadsheets write them ---------------------------------------------

ROW = ["Zoë Ñandú", "zoe@example.org", "academia", "México", "", "", "yes"]


@pytest.mark.parametrize("bom", [True, False], ids=["with BOM", "without BOM"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["CRLF", "LF"])
def test_utf8_with_or_without_bom_and_either_line_ending(db, focal, bom, newline):
    preview = imports.preview_import(focal, csv_file([ROW], bom=bom, newline=newline))
    row = only_row(preview)
    assert row.action == CREATE and row.number == 2
    assert (row.values["name"], row.values["country"]) == ("Zoë Ñandú", "MX")
    assert preview.notes == []


def test_semicolons_as_european_excel_writes_them(db, focal):
    preview = imports.preview_import(focal, csv_file([ROW], delimiter=";", bom=True))
    assert only_row(preview).values["email"] == "zoe@example.org"


def test_windows_1252_is_read_with_a_note(db, focal):
    preview = imports.preview_import(focal, csv_file([ROW], encoding="cp1252"))
    assert only_row(preview).values["name"] == "Zoë Ñandú"
    assert "read as Windows-1252" in preview.notes[0]


def test_a_quoted_cell_may_hold_a_line_break_and_rows_keep_spreadsheet_numbers(db, focal):
    data = csv_file([["Multi\nLine", "ml@example.org", "academia", "KE", "", "", ""],
                     ["", "", "", "", "", "", ""],  # a blank row is skipped but still counted
                     ["", "bad@", "academia", "KE", "", "", ""]])
    preview = imports.preview_import(focal, data)
    assert [row.number for row in preview.rows] == [2, 4]
    assert preview.rows[0].values["name"] == "Multi Line"
    assert errors_by_row(preview)[4][0] == "Name: Enter a name."


def test_headers_match_whatever_their_case_spacing_or_alias(db, focal):
    header = ["  FULL NAME", "email", "stakeholder_group", "country code", "Organisation",
              "Region", "Favourite colour"]
    data = csv_file([["Kim", "kim@example.org", "Technical Community", "kr", "", "x", "blue"]],
                    header=header)
    preview = imports.preview_import(focal, data)
    row = only_row(preview)
    assert (row.values["name"], row.values["stakeholder_group"], row.values["country"]) == (
        "Kim", "technical_community", "KR")
    assert preview.ignored == ["Region (the region follows the country)", "Favourite colour"]


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"Name,E-mail\r\nAna,ana@example.org\r\n", "there is none for Stakeholder group"),
    (csv_file([]), "no members below it"),
    (b"PK\x03\x04\x14\x00 a workbook", "not a CSV file"),
    (b"Name,E-mail,E-mail address,Stakeholder group\r\n", "Two columns are both read as E-mail"),
    (b"\xff\xfe\x00\x00\x81\x8d", "not"),
])
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(db, focal, data, message):
    with pytest.raises(ValidationError, match=message) as error:
        imports.preview_import(focal, data)
    assert error.value.field == "file"


# --- every kind of bad row, named with its row ------------------------------------------

@pytest.mark.parametrize("column, value, reason", [
    (1, "no-at-sign.example.org", "E-mail: This is not a valid e-mail address"),
    (3, "Atlantis", "Country: 'Atlantis' is not a country we know"),
    (2, "lobbyists", "Stakeholder group: 'lobbyists' is not a stakeholder group we know "
                     "(write one of government, civil_society"),
    (0, "   ", "Name: Enter a name."),
    (2, "", "Stakeholder group: Enter a stakeholder group."),
    (3, "Z" * 300, "Country: '" + "Z" * 39 + "…' is not a country we know."),
])
def test_each_bad_value_is_named_with_its_row(db, focal, column, value, reason):
    rows = [list(ROW), list(ROW), list(ROW)]
    for n, row in enumerate(rows):
        row[1] = f"p{n}@example.org"
    rows[1][column] = value
    preview = imports.preview_import(focal, csv_file(rows))
    [[message]] = errors_by_row(preview).values()
    assert list(errors_by_row(preview)) == [3]
    assert message.startswith(reason)
    assert preview.counts[CREATE] == 2


def test_a_repeated_address_is_an_error_on_the_later_rows(db, focal):
    rows = [["A", "same@example.org", "academia", "", "", "", ""],
            ["B", "other@example.org", "academia", "", "", "", ""],
            ["C", "Same@Example.org", "academia", "", "", "", ""],
            ["D", "same@example.org", "academia", "", "", "", ""]]
    errors = errors_by_row(imports.preview_import(focal, csv_file(rows)))
    assert errors == {4: ["E-mail: the same address is already on row 2."],
                      5: ["E-mail: the same address is already on row 2."]}


def test_a_status_change_the_rules_forbid_is_an_error(db, focal):
    make_member(email="app@example.org", status="applicant", stakeholder_group="academia")
    data = csv_file([["Applicant", "app@example.org", "academia", "", "", "lapsed", "no"]])
    row = only_row(imports.preview_import(focal, data))
    assert row.errors == ["Status: a member who is applicant cannot become lapsed."]


# --- updating existing members ------------------------------------------------------------

def test_an_existing_member_is_updated_in_the_changed_fields_only(db, focal):
    organization = make_organization(name="Kenya ICT Action Network", acronym="KICTANet")
    kept = make_member(name="Grace", email="grace@example.org", title="Director",
                       stakeholder_group="civil_society", country="KE",
                       organization_id=organization.id, notes="met in Kyoto")
    header = ["Name", "E-mail", "Stakeholder group", "Country", "Organization", "Show name"]
    data = csv_file([["Grace Githaiga", "GRACE@example.org", "civil_society", "Kenya",
                      "kictanet", "yes"]], header=header)
    preview = imports.preview_import(focal, data)
    row = only_row(preview)
    assert row.action == UPDATE and row.member_id == kept.id
    assert row.changes == {"name": ["Grace", "Grace Githaiga"], "show_name": [False, True]}
    result = imports.apply_import(focal, preview, source="grace.csv")
    db.session.commit()
    assert (result.created, result.updated) == (0, 1)
    db.session.refresh(kept)
    assert (kept.name, kept.sort_name, kept.show_name) == ("Grace Githaiga", "grace githaiga",
                                                           True)
    # Columns the file does not have are left alone.
    assert (kept.title, kept.notes, kept.organization_id) == ("Director", "met in Kyoto",
                                                             organization.id)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "members", AuditEvent.entity_id == str(kept.id),
        AuditEvent.action == "update"))
    assert event.changes == {"name": ["Grace", "Grace Githaiga"], "show_name": [False, True]}
    assert event.actor_id == focal.id


def test_rows_that_change_nothing_are_reported_unchanged_and_not_written(db, focal):
    same = make_member(name="Same", email="same@example.org", stakeholder_group="academia",
                       country="JP")
    data = csv_file([["Same", "same@example.org", "Academia", "Japan", "", "active", "no"]])
    preview = imports.preview_import(focal, data)
    assert only_row(preview).action == UNCHANGED
    before = same.updated_at
    result = imports.apply_import(focal, preview)
    db.session.commit()
    db.session.refresh(same)
    assert (result.updated, result.unchanged) == (0, 1) and same.updated_at == before


def test_a_changed_country_moves_the_region_unless_the_focal_contact_overrode_it(db, focal):
    follows = make_member(email="follows@example.org", country="KE")
    overridden = make_member(email="over@example.org", country="CY", region="eastern_european")
    rows = [["F", "follows@example.org", "civil_society", "BR", "", "", ""],
            ["O", "over@example.org", "civil_society", "GR", "", "", ""]]
    preview = imports.preview_import(focal, csv_file(rows))
    assert preview.rows[0].changes["region"] == ["african", "latin_american_caribbean"]
    assert "region" not in preview.rows[1].changes
    imports.apply_import(focal, preview)
    db.session.commit()
    db.session.refresh(follows)
    db.session.refresh(overridden)
    assert (follows.country, follows.region) == ("BR", "latin_american_caribbean")
    assert (overridden.country, overridden.region) == ("GR", "eastern_european")


def test_a_status_change_goes_through_the_status_rules(db, focal):
    leaving = make_member(email="leaving@example.org", login=True)
    data = csv_file([[leaving.name, "leaving@example.org", "civil_society", "KE", "", "left",
                      "no"]])
    preview = imports.preview_import(focal, data)
    assert only_row(preview).changes == {"status": ["active", "left"]}
    imports.apply_import(focal, preview)
    db.session.commit()
    db.session.refresh(leaving)
    assert leaving.status == "left" and leaving.left_on is not None
    from coalition.members.services import login_of
    assert not login_of(leaving).is_active  # as archiving by hand does


# --- organizations -------------------------------------------------------------------------

def test_organizations_are_linked_by_name_or_acronym_or_created_once(db, focal):
    known = make_organization(name="Internet Society", acronym="ISOC")
    rows = [["A", "a@example.org", "technical_community", "", "internet society", "", ""],
            ["B", "b@example.org", "technical_community", "", "ISOC", "", ""],
            ["C", "c@example.org", "civil_society", "", "New Alliance", "", ""],
            ["D", "d@example.org", "civil_society", "", "new alliance", "", ""]]
    preview = imports.preview_import(focal, csv_file(rows))
    assert preview.new_organizations == ["New Alliance"]
    result = imports.apply_import(focal, preview)
    db.session.commit()
    created = db.session.scalar(select(Organization).where(Organization.name == "New Alliance"))
    assert result.organizations == 1
    assert [m.organization_id for m in members(db)] == [known.id, known.id, created.id,
                                                        created.id]
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "organizations", AuditEvent.entity_id == str(created.id),
        AuditEvent.action == "create")) is not None


# --- the write: atomic, audited, allowed to focal contacts only ----------------------------

def test_one_audit_event_sums_up_the_import(db, focal):
    data, _expected = thousand_rows_with_ten_bad_ones()
    result = imports.apply_import(focal, imports.preview_import(focal, data),
                                  source="members.csv")
    db.session.commit()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import"))
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "member_imports", result.import_id, focal.id)
    assert event.changes["created"] == [None, 990]
    assert event.changes["skipped"] == [None, 10]
    assert "members.csv" in event.summary and "990 created" in event.summary


def test_a_failing_write_leaves_nothing_behind(db, focal):
    rows = [[f"P{n}", f"p{n}@example.org", "academia", "", "", "", ""] for n in range(20)]
    preview = imports.preview_import(focal, csv_file(rows))
    # Someone else adds one of these addresses between the preview and the confirmation.
    make_member(email="p19@example.org")
    with pytest.raises(IntegrityError):
        imports.apply_import(focal, preview)
    db.session.rollback()
    assert [m.email for m in members(db)] == ["p19@example.org"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "import")) == 0


def test_only_a_focal_contact_or_a_command_may_import(db, member):
    data = csv_file([ROW])
    with pytest.raises(PermissionDenied):
        imports.preview_import(member, data)
    preview = imports.preview_import(SYSTEM, data)
    with pytest.raises(PermissionDenied):
        imports.apply_import(member, preview)
    imports.apply_import(SYSTEM, preview)
    db.session.commit()
    assert member_count(db) == 1


def test_an_unknown_mode_is_refused(db, focal):
    with pytest.raises(ValidationError, match="valid rows only or all or nothing"):
        imports.apply_import(focal, imports.preview_import(focal, csv_file([ROW])), "some")


# --- export ----------------------------------------------------------------------------------

def read_export(filters: DirectoryFilter) -> tuple[str, list[list[str]]]:
    text = "".join(exports.export_csv(filters))
    return text, list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_export_has_a_bom_the_template_columns_and_the_filtered_members(db, focal):
    organization = make_organization(name="Asociación Ejemplo", acronym="AE")
    make_member(name="Lucía", email="lucia@example.org", stakeholder_group="academia",
                country="AR", organization_id=organization.id, title="Researcher")
    make_member(name="Kofi", email="kofi@example.org", country="GH")
    make_member(name="Lapsed", email="lapsed@example.org", status="lapsed")
    text, rows = read_export(DirectoryFilter(region="latin_american_caribbean"))
    assert text.startswith("\ufeffName,E-mail,Title,Organization,Stakeholder group,Country,")
    assert rows[0] == [column.header for column in imports.COLUMNS] + ["Region"]
    assert rows[1:] == [["Lucía", "lucia@example.org", "Researcher", "Asociación Ejemplo",
                         "academia", "AR", "active", "", "", "no", "no", "no", "no", "no",
                         "latin_american_caribbean"]]
    _text, rows = read_export(DirectoryFilter(status=""))
    assert [row[0] for row in rows[1:]] == ["Kofi", "Lapsed", "Lucía"]


def test_template_has_the_same_columns_and_its_example_row_imports(db, focal):
    template = imports.template_csv()
    assert template.startswith("\ufeff")
    preview = imports.preview_import(focal, template.encode())
    assert only_row(preview).action == CREATE
    assert list(csv.reader(io.StringIO(template[1:])))[0] == \
        [column.header for column in imports.COLUMNS]


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+2",
                                  "-2+3", "@SUM(A1)", "\tTabbed", "\rReturn"])
def test_a_cell_a_spreadsheet_would_run_is_neutralised(db, focal, name):
    person = make_member(name="x", email="formula@example.org")
    person.title = name  # past the service, which would trim a tab or a return
    db.session.commit()
    _text, rows = read_export(DirectoryFilter())
    assert rows[1][2] == "'" + name


def test_a_formula_name_comes_out_quoted(db, focal):
    make_member(name='=HYPERLINK("http://evil.example","click")', email="f@example.org")
    text, rows = read_export(DirectoryFilter())
    assert rows[1][0] == "'=HYPERLINK(\"http://evil.example\",\"click\")"


def test_an_export_imported_again_changes_nothing(db, focal):
    organization = make_organization(name="Red Ejemplo", acronym="RE")
    make_member(name='=HYPERLINK("x")', email="formula@example.org", title="-lead",
                organization_id=organization.id, gender="self_described",
                gender_description="two-spirit", listed_publicly=True, show_name=True)
    make_member(name="Free Text Org", email="free@example.org", organization_name="Unlinked Org")
    make_member(name="Override", email="override@example.org", country="CY",
                region="eastern_european")
    make_member(name="Applicant", email="applicant@example.org", status="applicant")
    text = "".join(exports.export_csv(DirectoryFilter(status="")))
    preview = imports.preview_import(focal, text.encode("utf-8"))
    assert preview.counts == {CREATE: 0, UPDATE: 0, UNCHANGED: 4, ERROR: 0}, \
        [(row.number, row.changes, row.errors) for row in preview.rows]
    assert preview.new_organizations == []


def test_the_export_streams_in_pieces(db, focal, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 2)
    for n in range(5):
        make_member(email=f"s{n}@example.org")
    pieces = list(exports.export_csv(DirectoryFilter()))
    assert len(pieces) == 4  # header, 2 + 2 + 1 members
    assert sum(piece.count("\r\n") for piece in pieces) == 6


def test_header_row_only_is_exported_for_no_members(db, focal):
    _text, rows = read_export(DirectoryFilter(q="nobody at all"))
    assert rows == [[column.header for column in imports.COLUMNS] + ["Region"]]


def test_header_constant_is_what_the_tests_build_files_with(db):
    # The tests' own files use a subset of the template's headers.
    assert set(HEADER) <= {column.header for column in imports.COLUMNS}
