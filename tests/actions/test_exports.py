"""The action plan as CSV (`/actions/plans/<id>/export.csv`) and as a printable page:
one row per item and fiscal year, formulas made harmless, owners named only as far as
they consented, and an unpublished plan hidden from the public."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from coalition.actions import services
from coalition.actions.exports import HEADERS
from tests.factories import SYSTEM, make_item, make_member, make_organization, make_plan

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def plan(db):
    """A published FY16–FY17 plan, FY16 closed: one item owned by a member who shows
    their name, a member who does not, and an organization; a second item in FY17 only."""
    plan = make_plan(2016, 2017, title="Acción plan: FY16/FY17 \"draft\"")
    shown = make_member(name="Amina Shown", listed_publicly=True, show_name=True)
    hidden = make_member(name="Hugo Hidden", listed_publicly=True, show_name=False)
    helpline = make_organization(name="Child Helpline Europe", acronym="CHE")
    first = make_item(plan, years=(2016, 2017), owners=(shown, hidden),
                      organizations=(helpline,), title="Map the hotlines")
    make_item(plan, years=(2017,), title="+Webinars for parents")
    services.change_status(SYSTEM, first.year(2016), "in_progress", FORMULA, None)
    services.update_tracking(SYSTEM, first.year(2017), date(2017, 6, 30))
    services.close_year(SYSTEM, plan, 2016)
    services.set_published(SYSTEM, plan, True)
    db.session.commit()
    return plan


def rows_of(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_public_gets_the_csv_with_consented_names_only(client, plan):
    response = client.get(f"/actions/plans/{plan.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="accion-plan-fy16-fy17-draft.csv"'
    rows = rows_of(response)
    assert rows[0] == HEADERS
    assert [row[2:5] for row in rows[1:]] == [
        ["Map the hotlines", "FY16", "In progress"],
        ["Map the hotlines", "FY17", "Planned"],
        ["'+Webinars for parents", "FY17", "Planned"]]
    assert rows[1][6] == "'" + FORMULA  # the note cannot run as a formula
    assert rows[1][7] == "Amina Shown; a member; Child Helpline Europe (CHE)"
    assert rows[2][5] == "2017-06-30"
    assert "Hugo Hidden" not in response.get_data(as_text=True)


def test_a_member_sees_every_owner(client, login, plan, member):
    login(member)
    rows = rows_of(client.get(f"/actions/plans/{plan.id}/export.csv"))
    assert rows[1][7] == "Amina Shown; Hugo Hidden; Child Helpline Europe (CHE)"


def test_an_unpublished_plan_is_hidden_from_the_public(client, login, member):
    draft = make_plan(title="Draft plan")
    make_item(draft, years=(2016,), title="Secret item")
    for path in (f"/actions/plans/{draft.id}/export.csv", f"/actions/plans/{draft.id}/print"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Secret item" not in response.get_data(as_text=True)
    assert client.get("/actions/plans/9999/print").status_code == 404
    login(member)
    assert "Secret item" in client.get(f"/actions/plans/{draft.id}/print").get_data(
        as_text=True)
    assert client.get(f"/actions/plans/{draft.id}/export.csv").status_code == 200


def test_the_printable_page_shows_the_plan_by_objective_and_year(client, plan):
    response = client.get(f"/actions/plans/{plan.id}/print")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Objective 1: {plan.objectives[0].title}" in page
    assert "1.1</span> Map the hotlines" in page
    assert '<span class="print-status print-status-in_progress">In progress</span>' in page
    assert "FY16 <span class=\"print-closed\">(closed)</span>" in page
    assert "Owners: Amina Shown, a member, Child Helpline Europe (CHE)" in page
    assert "Hugo Hidden" not in page
    assert "Not in FY16" in page  # the webinars run in FY17 only
    assert f'href="/actions/plans/{plan.id}/export.csv"' in page


def test_a_focal_contact_sees_the_printable_page_of_a_draft(client, login, focal):
    draft = make_plan(title="Draft plan")
    login(focal)
    page = client.get(f"/actions/plans/{draft.id}/print").get_data(as_text=True)
    assert "Not published (a draft)" in page and "No items yet." in page
