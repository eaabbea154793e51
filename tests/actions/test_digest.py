"""`coalition actions digest`: each active focal contact is e-mailed the status updates
since the last digest, once; with nothing new, nothing is sent or recorded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from coalition.actions import services
from coalition.actions.models import DigestRun
from coalition.members import services as members
from tests.factories import SYSTEM, make_item, make_member, make_plan, make_user


def invoke(runner, db, *args: str):
    db.session.commit()
    result = runner.invoke(args=list(args))
    db.session.rollback()
    return result


def digests(outbox) -> list:
    return [m for m in outbox() if m["Subject"].startswith("Action plan:")]


def runs(db) -> int:
    return db.session.scalar(select(func.count()).select_from(DigestRun))


def test_a_status_change_is_in_the_next_digest_and_not_in_the_one_after(
        runner, db, outbox, focal):
    owner = make_member(login=True, name="Olga Owner")
    plan = make_plan(title="Action plan FY16–FY18")
    item = make_item(plan, years=(2016, 2017), owners=(owner,), title="Map the hotlines")
    login = members.login_of(owner)
    services.change_status(login, item.year(2016), "in_progress", "Survey sent to 40 "
                           "hotlines.", None, now=datetime(2016, 3, 4, 9, tzinfo=UTC))
    db.session.commit()

    result = invoke(runner, db, "actions", "digest")
    assert result.exit_code == 0, result.output
    (first,) = digests(outbox)
    assert first["To"] == "Fatima Focal <focal@example.org>"
    body = first.get_content()
    assert "Action plan FY16–FY18" in body and "Map the hotlines" in body
    assert "FY16: planned → in progress by Olga Owner on 2016-03-04: Survey sent to 40 " \
           "hotlines." in body
    assert f"http://coalition.test/actions/items/{item.id}" in body
    assert runs(db) == 1

    services.change_status(login, item.year(2017), "blocked", "No funding yet.", None,
                           now=datetime(2017, 2, 1, tzinfo=UTC))
    db.session.commit()
    result = invoke(runner, db, "actions", "digest")
    assert result.exit_code == 0, result.output
    second = digests(outbox)[1].get_content()
    assert "FY17: planned → blocked by Olga Owner on 2017-02-01: No funding yet." in second
    assert "Survey sent" not in second  # already in the first digest
    assert "since the last digest" in second


def test_nothing_new_sends_nothing_and_records_nothing(runner, db, outbox, focal):
    result = invoke(runner, db, "actions", "digest")
    assert result.exit_code == 0
    assert "Nothing changed: the action plan has no status updates yet." in result.output
    item = make_item(years=(2016,))
    services.change_status(SYSTEM, item.year(2016), "done", None, None)
    assert invoke(runner, db, "actions", "digest").exit_code == 0
    assert len(digests(outbox)) == 1 and runs(db) == 1
    result = invoke(runner, db, "actions", "digest")
    today = db.session.scalar(select(DigestRun.sent_at)).date().isoformat()
    assert f"Nothing changed since {today}." in result.output
    assert len(digests(outbox)) == 1 and runs(db) == 1


def test_every_active_focal_contact_gets_it_and_no_one_else(runner, db, outbox, focal,
                                                            member):
    make_user(email="second@example.org", name="Second Focal", role="focal_contact")
    make_user(email="gone@example.org", name="Gone Focal", role="focal_contact",
              is_active=False)
    item = make_item(years=(2016,))
    services.change_status(SYSTEM, item.year(2016), "in_progress", "Started.", None)
    result = invoke(runner, db, "actions", "digest")
    assert result.exit_code == 0, result.output
    assert sorted(m["To"].addresses[0].addr_spec for m in digests(outbox)) == [
        "focal@example.org", "second@example.org"]
    assert db.session.scalar(select(DigestRun.recipients)) == 2


def test_a_dry_run_prints_the_digest_and_sends_nothing(runner, db, outbox, focal):
    item = make_item(years=(2016,), title="Map the hotlines")
    services.change_status(SYSTEM, item.year(2016), "in_progress", "Started.", None)
    result = invoke(runner, db, "actions", "digest", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would e-mail 1 focal contact(s): focal@example.org" in result.output
    assert "Map the hotlines" in result.output and "planned → in progress" in result.output
    assert digests(outbox) == [] and runs(db) == 0
    # The real run still covers the change.
    assert invoke(runner, db, "actions", "digest").exit_code == 0
    assert "Started." in digests(outbox)[0].get_content()


def test_without_an_active_focal_contact_nothing_is_recorded(runner, db, outbox):
    item = make_item(years=(2016,))
    services.change_status(SYSTEM, item.year(2016), "in_progress", "Started.", None)
    result = invoke(runner, db, "actions", "digest")
    assert result.exit_code == 1 and "no active focal contact" in result.output
    assert runs(db) == 0
