"""`coalition members import|export` as an administrator types them."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from coalition.audit.models import AuditEvent
from coalition.members.models import Member
from tests.factories import make_member
from tests.members.pages_import import csv_file, thousand_rows_with_ten_bad_ones


def member_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Member))


def write(tmp_path, data: bytes, name: str = "members.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_writes_the_valid_rows_and_lists_every_bad_one(runner, db, tmp_path):
    data, expected = thousand_rows_with_ten_bad_ones()
    result = runner.invoke(args=["members", "import", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert "1000 rows: 990 to create, 0 to update, 0 unchanged, 10 with errors." in \
        result.output
    for number in expected:
        assert f"\nRow {number}: " in result.output
    assert "Row 101: Country: 'Atlantis' is not a country we know" in result.output
    assert "Imported: 990 created, 0 updated, 0 unchanged, 10 rows with errors skipped" in \
        result.output
    assert member_count(db) == 990
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.actor_label == "command: members import" and event.actor_id is None


def test_a_dry_run_writes_nothing(runner, db, tmp_path):
    data, _expected = thousand_rows_with_ten_bad_ones()
    result = runner.invoke(args=["members", "import", "--dry-run", write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert "990 to create" in result.output and "Dry run: nothing was written." in result.output
    assert member_count(db) == 0


def test_all_or_nothing_with_bad_rows_fails_and_writes_nothing(runner, db, tmp_path):
    data, _expected = thousand_rows_with_ten_bad_ones()
    result = runner.invoke(args=["members", "import", "--mode", "all_or_nothing",
                                 write(tmp_path, data)])
    assert result.exit_code != 0
    assert "Row 17: E-mail: This is not a valid e-mail address" in result.output
    assert "10 rows have errors, so nothing was imported (all or nothing)" in result.output
    assert member_count(db) == 0


def test_all_or_nothing_writes_a_clean_file(runner, db, tmp_path):
    data = csv_file([["Ana", "ana@example.org", "academia", "AR", "", "", "no"]], bom=True)
    result = runner.invoke(args=["members", "import", "--mode", "all_or_nothing",
                                 write(tmp_path, data)])
    assert result.exit_code == 0, result.output
    assert "Imported: 1 created" in result.output
    assert db.session.scalar(select(Member.country)) == "AR"


def test_an_unreadable_file_is_refused_with_its_reason(runner, db, tmp_path):
    result = runner.invoke(args=["members", "import", write(tmp_path, b"Name\r\nAna\r\n")])
    assert result.exit_code != 0
    assert "there is none for E-mail, Stakeholder group" in result.output


def test_export_writes_the_directory_to_a_file_with_filters(runner, db, tmp_path):
    make_member(name="Kofi", email="kofi@example.org", country="GH")
    make_member(name="Lucía", email="lucia@example.org", country="Argentina")
    make_member(name="Gone", email="gone@example.org", country="GH", status="left")
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["members", "export", "--country", "Ghana", "-o", str(target)])
    assert result.exit_code == 0, result.output
    body = target.read_bytes()
    assert body.startswith(b"\xef\xbb\xbfName,E-mail,")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Kofi"]
    result = runner.invoke(args=["members", "export", "--status", "all"])
    assert [row[0] for row in csv.reader(io.StringIO(result.output))][1:] == [
        "Gone", "Kofi", "Lucía"]
    result = runner.invoke(args=["members", "export", "--country", "Atlantis"])
    assert result.exit_code != 0 and "not a country we know" in result.output


def test_export_then_import_reports_everything_unchanged(runner, db, tmp_path):
    make_member(name="+Plus", email="plus@example.org", title="=SUM(A1)")
    make_member(name="Lapsed", email="lapsed@example.org", status="lapsed")
    target = tmp_path / "all.csv"
    runner.invoke(args=["members", "export", "--status", "all", "-o", str(target)])
    result = runner.invoke(args=["members", "import", str(target)])
    assert result.exit_code == 0, result.output
    assert "2 rows: 0 to create, 0 to update, 2 unchanged, 0 with errors." in result.output
    assert "Columns not read: Region (the region follows the country)" in result.output
