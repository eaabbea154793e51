"""`coalition actions import|export` as a focal contact types them: a plan read from a
text outline or a CSV file, bad lines named with nothing written, and the export."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from coalition.actions.models import ActionItem, ActionPlan, Objective
from coalition.audit.models import AuditEvent
from tests.factories import make_item, make_member, make_plan

EXCHANGE = ("Facilitate the exchange of information and best practices between countries "
            "and regions")
OUTLINE = f"""\
Plan: Action plan of the Dynamic Coalition on Child Online Safety

Objective: Ensure a safer and more secure online environment for children and youth
- {EXCHANGE} [FY16-FY18]
- Map national hotlines and helplines [FY16]
    A survey of every national hotline and child helpline.

Objective 2: Empower children, parents and educators
  * Collect digital literacy materials for primary schools [FY16, FY17]
  * Run webinars for parents
"""


def invoke(runner, db, *args: str, input: str | None = None):
    db.session.commit()  # on SQLite the test's transaction would hold the write lock
    result = runner.invoke(args=list(args), input=input)
    db.session.rollback()  # the next read sees what the command wrote
    return result


def plans(db) -> list[ActionPlan]:
    return list(db.session.scalars(select(ActionPlan).order_by(ActionPlan.id)))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_outline_creates_the_plan(runner, db, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(OUTLINE, encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path))
    assert result.exit_code == 0, result.output
    (plan,) = plans(db)
    assert plan.title == "Action plan of the Dynamic Coalition on Child Online Safety"
    assert plan.year_labels == ["FY16", "FY17", "FY18"] and not plan.is_published
    assert [o.title for o in plan.objectives] == [
        "Ensure a safer and more secure online environment for children and youth",
        "Empower children, parents and educators"]
    years = {item.title: [row.label for row in item.years] for item in plan.items}
    assert years == {
        EXCHANGE: ["FY16", "FY17", "FY18"],
        "Map national hotlines and helplines": ["FY16"],
        "Collect digital literacy materials for primary schools": ["FY16", "FY17"],
        # No years in brackets: every year of the plan.
        "Run webinars for parents": ["FY16", "FY17", "FY18"]}
    hotlines = plan.items[1]
    assert hotlines.description == "A survey of every national hotline and child helpline."
    assert hotlines.objective.title.startswith("Ensure a safer")
    assert plan.items[3].objective.title == "Empower children, parents and educators"
    assert f"Created plan {plan.id}" in result.output and "4 items" in result.output
    actors = set(db.session.scalars(select(AuditEvent.actor_label)))
    assert actors == {"command: actions import"}


def test_the_options_set_the_title_and_the_years(runner, db, tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("Objective: Empower children\n- Webinars for parents\n", encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path), "--plan-title",
                    "Plan 2020", "--first", "FY20", "--last", "2022")
    assert result.exit_code == 0, result.output
    (plan,) = plans(db)
    assert plan.title == "Plan 2020" and plan.year_labels == ["FY20", "FY21", "FY22"]
    assert [row.label for row in plan.items[0].years] == ["FY20", "FY21", "FY22"]


def test_a_csv_creates_the_plan(runner, db, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        "Objective,Item,Years,Description\n"
        "Empower children,Webinars for parents,FY17 FY18,Monthly webinars\n"
        "Empower children,Materials for schools,FY16-FY18,\n"
        "Strengthen cooperation,Industry guidelines,FY17,\n", encoding="utf-8-sig")
    result = invoke(runner, db, "actions", "import", str(path))
    assert result.exit_code == 0, result.output
    (plan,) = plans(db)
    assert plan.title == "Action plan FY16–FY18"
    assert [o.title for o in plan.objectives] == ["Empower children", "Strengthen cooperation"]
    assert [(i.title, [r.label for r in i.years], i.description) for i in plan.items] == [
        ("Webinars for parents", ["FY17", "FY18"], "Monthly webinars"),
        ("Materials for schools", ["FY16", "FY17", "FY18"], None),
        ("Industry guidelines", ["FY17"], None)]


def test_bad_lines_are_named_and_nothing_is_written(runner, db, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(
        "Objective: Empower children\n"
        "- Webinars for parents [FY17]\n"
        "- Materials for schools [FY1x]\n"
        "- [FY16]\n"
        "- Webinars for parents\n"
        "- Industry guidelines [FY18-FY16]\n", encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path), "--dry-run")
    assert result.exit_code == 1
    assert "Line 3: 'FY1x' is not a fiscal year" in result.output
    assert "Line 4: the item has no title" in result.output
    assert "Line 5: the same item is already on line 2" in result.output
    assert "Line 6: 'FY18-FY16' ends before it starts" in result.output
    assert "Line 2:" not in result.output
    assert "4 errors, so nothing was imported" in result.output
    assert plans(db) == [] and count(db, Objective) == 0 and count(db, ActionItem) == 0


def test_a_year_outside_the_plan_is_named(runner, db, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("objective,item,years\nA,First item,FY16\nA,Second item,FY19\n",
                    encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path), "--first", "FY16",
                    "--last", "FY18")
    assert result.exit_code == 1
    assert "Line 3: FY19 is outside the plan (FY16–FY18)" in result.output
    assert plans(db) == []


def test_a_csv_without_an_item_column_is_refused(runner, db, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("objective,what\nA,B\n", encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path))
    assert result.exit_code == 1 and "Line 1: the header has no item column" in result.output
    assert plans(db) == []


def test_without_any_years_the_command_asks_for_them(runner, db, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("Objective: A\n- An item\n", encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path))
    assert result.exit_code == 1 and "give --first and --last" in result.output
    assert invoke(runner, db, "actions", "import", str(path), "--first",
                  "FYxx").exit_code == 2


def test_a_dry_run_shows_the_plan_and_writes_nothing(runner, db, tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text(OUTLINE, encoding="utf-8")
    result = invoke(runner, db, "actions", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "  - Map national hotlines and helplines [FY16]" in result.output
    assert "Dry run: would create" in result.output and "2 objectives, 4 items" in result.output
    assert plans(db) == []


def test_an_outline_comes_from_standard_input(runner, db):
    result = invoke(runner, db, "actions", "import", "-", input=OUTLINE)
    assert result.exit_code == 0, result.output
    assert len(plans(db)[0].items) == 4


def test_export_writes_the_csv_and_import_reads_it_back(runner, db, tmp_path):
    plan = make_plan(2016, 2017, title="=SUM(1+1) plan")
    owner = make_member(name="Olga Owner")
    make_item(plan, years=(2016, 2017), owners=(owner,), title="-Hotlines")
    output = tmp_path / "export.csv"
    result = invoke(runner, db, "actions", "export", str(plan.id), "--output", str(output))
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    assert text.startswith("\ufeffPlan,Objective,Item,Fiscal year,Status")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row[2:5] for row in rows[1:]] == [["'-Hotlines", "FY16", "Planned"],
                                             ["'-Hotlines", "FY17", "Planned"]]
    assert rows[1][0] == "'=SUM(1+1) plan"
    assert rows[1][7] == "Olga Owner"

    result = invoke(runner, db, "actions", "import", str(output))
    assert result.exit_code == 0, result.output
    copy = plans(db)[-1]
    assert copy.id != plan.id and copy.title == "=SUM(1+1) plan"
    assert [(i.title, [r.label for r in i.years]) for i in copy.items] == [
        ("-Hotlines", ["FY16", "FY17"])]
    assert "Columns not read: Status, Due date" in result.output


def test_export_to_standard_output_and_an_unknown_plan(runner, db):
    plan = make_plan()
    make_item(plan, years=(2016,))
    result = invoke(runner, db, "actions", "export", str(plan.id))
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) == 2
    result = invoke(runner, db, "actions", "export", "9999")
    assert result.exit_code == 1 and "There is no action plan 9999" in result.output
