"""Member import and export for the quality gates; its CSV builders serve the import tests
too."""

from __future__ import annotations

import csv
import io

from tests.factories import make_member
from tests.quality.catalog import (
    FOCAL,
    FOCAL_ONLY,
    MEMBER,
    NOBODY,
    Case,
    Samples,
)

HEADER = ["Name", "E-mail", "Stakeholder group", "Country", "Organization", "Status",
          "Listed publicly"]


def csv_file(rows: list[list[str]], header: list[str] = HEADER, bom: bool = False,
             delimiter: str = ",", newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    """A CSV file the way a spreadsheet saves it (Excel: CRLF; "CSV UTF-8" adds a BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows([header, *rows])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


def good_row(n: int) -> list[str]:
    groups = ["government", "Civil society", "private_sector", "technical_community",
              "academia", "intergovernmental"]
    countries = ["KE", "Brazil", "fr", "Japan", "PL", "Côte d'Ivoire"]
    return [f"Person {n:04d}", f"person{n:04d}@example.org", groups[n % 6], countries[n // 6 % 6],
            "Example Foundation" if n % 3 == 0 else "", "active", "yes" if n % 2 else "no"]


def thousand_rows_with_ten_bad_ones() -> tuple[bytes, dict[int, list[str]]]:
    """1,000 member rows, ten of them bad, and what the preview must say about each bad one
    (by spreadsheet row number: the header is row 1, so the members are rows 2 to 1001)."""
    rows = [good_row(n) for n in range(1, 1001)]
    expected: dict[int, list[str]] = {}

    def spoil(number: int, column: int, value: str, *reasons: str) -> None:
        rows[number - 2][column] = value
        expected.setdefault(number, []).extend(reasons)

    spoil(17, 1, "not-an-address", "E-mail: This is not a valid e-mail address")
    spoil(101, 3, "Atlantis", "Country: 'Atlantis' is not a country we know")
    spoil(202, 2, "lobbyists", "Stakeholder group: 'lobbyists' is not a stakeholder group")
    spoil(303, 0, "", "Name: Enter a name.")
    spoil(404, 1, "PERSON0001@example.org", "E-mail: the same address is already on row 2.")
    spoil(505, 1, "", "E-mail: Enter an e-mail address.")
    spoil(606, 5, "retired", "Status: 'retired' is not a member status we know")
    spoil(707, 6, "maybe", "Listed publicly: 'maybe': write yes or no.")
    spoil(808, 1, "two@@example.org", "E-mail: This is not a valid e-mail address")
    spoil(808, 3, "Narnia", "Country: 'Narnia' is not a country we know")
    spoil(1001, 0, "x" * 201, "Name: Keep it under 200 characters.")
    return csv_file(rows), expected


def preview_sample() -> bytes:
    """A small upload with one row of each kind: create, update, unchanged and errors."""
    return csv_file([
        ["Ines Import", "ines@example.org", "academia", "Chile", "Universidad de Ejemplo",
         "active", "no"],
        ["Uma Updated", "uma.import@example.org", "civil_society", "KE", "", "active", "yes"],
        ["Ulla Unchanged", "ulla.import@example.org", "government", "DE", "", "active", "no"],
        ["", "not-an-address", "lobbyists", "Atlantis", "", "active", "maybe"],
        ["Dora Double", "ines@example.org", "academia", "CL", "", "active", "no"],
    ])


def add_samples(s: Samples) -> None:
    """Members for the preview's update and unchanged rows."""
    make_member(name="Uma Import", email="uma.import@example.org", country="UG")
    make_member(name="Ulla Unchanged", email="ulla.import@example.org",
                stakeholder_group="government", country="DE")


def cases(s: Samples) -> list[Case]:
    return [
        Case("member import: upload form", FOCAL, "/members/import"),
        Case("member import: no file chosen", FOCAL, "/members/import", "POST", {}, 400),
        Case("member import: not a CSV", FOCAL, "/members/import", "POST",
             {"file": (io.BytesIO(b"PK\x03\x04 a workbook"), "members.xlsx")}, 400),
        Case("member import: preview with errors", FOCAL, "/members/import", "POST",
             {"file": (io.BytesIO(preview_sample()), "members.csv")}),
        # The CSV downloads are not HTML pages: what the gates check there is the page a
        # member gets instead (the focal contact's files are tested in test_import_views).
        Case("member import template: forbidden", MEMBER, "/members/import/template.csv",
             status=403),
        Case("member export: forbidden", MEMBER, "/members/export.csv", status=403),
    ]


MATRIX = {
    "/members/import": ("/members/import", FOCAL_ONLY, FOCAL_ONLY),
    "/members/import/confirm": ("/members/import/confirm", NOBODY, FOCAL_ONLY),
    "/members/import/template.csv": ("/members/import/template.csv", FOCAL_ONLY, NOBODY),
    "/members/export.csv": ("/members/export.csv", FOCAL_ONLY, NOBODY),
}
