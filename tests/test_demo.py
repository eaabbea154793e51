"""`coalition demo load`: the demo logins it prints work, and it never touches real data."""

from __future__ import annotations

import re

from tests.factories import make_user


def test_demo_load_prints_logins_that_work(runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    logins = re.findall(r"(focal contact|member)\s+(\S+@example\.org)\s+password: (\S+)",
                        result.output)
    assert {email for _, email, _ in logins} == {"focal@example.org", "member@example.org"}
    for _, email, password in logins:
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, email
        client.post("/logout")


def test_demo_load_if_empty_only_prints_the_logins_the_second_time(runner):
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "Demo data loaded" in first.output and "Demo data loaded" not in second.output
    assert re.findall(r"password: (\S+)", first.output) == \
        re.findall(r"password: (\S+)", second.output)


def test_demo_load_refuses_a_database_with_data(runner, app):
    make_user()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "empty database only" in result.output


def test_demo_members_cover_every_stakeholder_group_and_region(runner, db):
    from sqlalchemy import func, select

    from coalition.auth.models import User
    from coalition.members.models import Member, Region, StakeholderGroup

    runner.invoke(args=["demo", "load"])
    members = db.session.scalars(select(Member)).all()
    active = [m for m in members if m.status == "active"]
    assert len(members) >= 60
    assert {m.stakeholder_group for m in active} == {g.value for g in StakeholderGroup}
    assert {m.region for m in active} >= {r.value for r in Region} - {"unassigned"}
    assert {m.status for m in members} == {"applicant", "active", "lapsed", "left"}
    demo_member = db.session.scalar(select(User).where(User.email == "member@example.org"))
    assert demo_member.member is not None and demo_member.member.status == "active"
    assert db.session.scalar(select(func.count()).select_from(Member).where(
        Member.listed_publicly.is_(True), Member.show_name.is_(True))) > 10
