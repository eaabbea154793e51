"""The action plan end to end in a browser: a member updates the item they own from "My
items", and the board, the item's history and the focal contact's digest show it; the
same member cannot touch an item they do not own."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from coalition.actions import services
from coalition.extensions import db
from coalition.members import services as members
from tests.browser.steps import sign_in, wait_for_mail
from tests.factories import PASSWORD, make_item, make_member, make_plan


def test_a_member_updates_their_item_and_everyone_sees_it(page: Page, focal, outbox, runner):
    plan = make_plan(2016, 2018, title="Action plan FY16–FY18")
    services.set_published(focal, plan, True)
    owner = make_member(login=True, name="Olga Owner", email="olga@example.org")
    mine = make_item(plan, years=(2016,), owners=(owner,),
                     title="Facilitate the exchange of best practices")
    theirs = make_item(plan, years=(2016,), owners=(make_member(),),
                       title="Map national helplines")
    db.session.commit()
    wait_for_mail(outbox, 2)  # the owners were told

    sign_in(page, "olga@example.org", PASSWORD)
    page.goto("/actions/mine")
    expect(page.get_by_role("link", name="Facilitate the exchange of best practices",
                            exact=True)) \
        .to_be_visible()
    expect(page.get_by_text("Map national helplines")).to_have_count(0)
    page.get_by_role("link", name="Update “Facilitate the exchange of best practices”, FY16") \
        .click()
    page.get_by_label("In progress").check()
    page.get_by_label("Progress note").fill("Survey sent to 40 helplines.")
    page.get_by_role("button", name="Save the status").click()
    expect(page.get_by_text("Survey sent to 40 helplines.").first).to_be_visible()

    page.goto("/actions/")
    row = page.get_by_role("row").filter(has_text="Facilitate the exchange of best practices")
    expect(row).to_contain_text("In progress")

    page.goto(f"/actions/items/{mine.id}")
    history = page.get_by_role("table").filter(has_text="Survey sent to 40 helplines.")
    expect(history).to_contain_text("Planned")
    expect(history).to_contain_text("In progress")

    # Someone else's item: no way in, neither on the web nor in the API.
    response = page.goto(f"/actions/items/{theirs.id}/years/2016/status")
    assert response.status == 403
    api = page.request.post(f"/api/v1/action-items/{theirs.id}/years/FY16/status",
                            data={"status": "done", "version": 1},
                            headers={"X-CSRFToken": _csrf_token(page)})
    assert api.status == 403
    db.session.expire_all()
    assert [row.status for row in theirs.years] == ["planned"]

    result = runner.invoke(args=["actions", "digest"])
    assert result.exit_code == 0, result.output
    digest = wait_for_mail(outbox, 3)[-1]
    assert digest["To"].addresses[0].addr_spec == focal.email
    body = digest.get_content()
    assert "Facilitate the exchange of best practices" in body
    assert "Survey sent to 40 helplines." in body
    assert members.login_of(owner).name in body


def _csrf_token(page: Page) -> str:
    page.goto("/actions/mine")
    return page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
