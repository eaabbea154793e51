"""Factory fixtures: create_user(**overrides) and friends, committed and ready to use."""

from __future__ import annotations

import itertools

import pytest

from coalition.actions import services as actions
from coalition.actions.models import ActionItem, ActionPlan
from coalition.auth import services as auth
from coalition.auth.models import Role, SystemActor, User
from coalition.extensions import db
from coalition.members import services as members
from coalition.members.models import Member, Organization
from coalition.reports import services as reports
from coalition.reports.models import Report
from coalition.reports.pdf import make_pdf

PASSWORD = "correct horse battery staple"
SYSTEM = SystemActor("command: tests")
_sequence = itertools.count(1)


def make_user(**overrides) -> User:
    n = next(_sequence)
    values = {"email": f"person{n}@example.org", "name": f"Person {n}",
              "role": Role.MEMBER.value, "password": PASSWORD}
    values.update(overrides)
    is_active = values.pop("is_active", True)
    user = auth.create_user(SYSTEM, **values)
    user.is_active = is_active
    db.session.commit()
    return user


def make_organization(**overrides) -> Organization:
    n = next(_sequence)
    values = {"name": f"Organization {n}", "stakeholder_group": "civil_society",
              "country": "KE"}
    values.update(overrides)
    organization = members.create_organization(SYSTEM, members.OrganizationInput(**values))
    db.session.commit()
    return organization


def make_member(status: str = "active", login: bool = False, **overrides) -> Member:
    """A member (active unless told otherwise); with `login=True`, also their login
    (password PASSWORD; `members.services.login_of(member)` finds it)."""
    n = next(_sequence)
    values = {"name": f"Member {n}", "email": f"member{n}@example.org",
              "stakeholder_group": "civil_society", "country": "KE"}
    values.update(overrides)
    member = members.create_member(SYSTEM, members.MemberInput(**values), status=status)
    db.session.flush()
    if login:
        user = make_user(email=member.email, name=member.name)
        user.member_id = member.id
    db.session.commit()
    return member


def pdf_bytes(title: str = "A report", *paragraphs: str) -> bytes:
    """A real PDF whose text pypdf can read (coalition/reports/pdf.py)."""
    return make_pdf(title, list(paragraphs) or ["The coalition's findings."])


def make_report(visibility: str = "public", files: list[tuple[bytes, str]] | None = None,
                **overrides) -> Report:
    """A report (public unless told otherwise) with one PDF unless `files` says otherwise
    (a list of (data, filename)); keyword arguments go to ReportInput."""
    from datetime import date

    n = next(_sequence)
    values = {"title": f"Report {n}", "type": "policy_paper", "published_on": date(2016, 6, 1),
              "authors": "Coalition secretariat"}
    values.update(overrides)
    if files is None:
        files = [(pdf_bytes(values["title"]), f"report-{n}.pdf")]
    report = reports.create_report(
        SYSTEM, reports.ReportInput(**values),
        [reports.FileInput(data, name) for data, name in files], visibility=visibility)
    db.session.commit()
    return report


def make_plan(first_year: int = 2016, last_year: int = 2018, **overrides) -> ActionPlan:
    """An action plan (FY16–FY18 unless told otherwise) with one objective."""
    n = next(_sequence)
    plan = actions.create_plan(SYSTEM, actions.PlanInput(
        title=overrides.pop("title", f"Action plan {n}"), first_year=first_year,
        last_year=last_year, **overrides))
    actions.create_objective(SYSTEM, plan, f"Objective of plan {n}")
    db.session.commit()
    return plan


def make_item(plan: ActionPlan | None = None, years: tuple[int, ...] = (2016,),
              owners: tuple[Member, ...] = (), organizations: tuple[Organization, ...] = (),
              **overrides) -> ActionItem:
    """An action item running in `years`, owned in each by `owners` and `organizations`."""
    plan = plan or make_plan()
    n = next(_sequence)
    item = actions.create_item(SYSTEM, plan, actions.ItemInput(
        title=overrides.pop("title", f"Action item {n}"), years=list(years),
        objective_id=overrides.pop("objective_id", plan.objectives[0].id if plan.objectives
                                   else None), **overrides))
    db.session.flush()
    for row in item.years:
        actions.set_owners(SYSTEM, row, [m.id for m in owners],
                           [o.id for o in organizations])
    db.session.commit()
    return item


@pytest.fixture
def create_report(app):
    return make_report


@pytest.fixture
def create_member(app):
    return make_member


@pytest.fixture
def create_organization(app):
    return make_organization


@pytest.fixture
def create_user(app):
    return make_user


@pytest.fixture
def focal(app) -> User:
    return make_user(email="focal@example.org", name="Fatima Focal",
                     role=Role.FOCAL_CONTACT.value)


@pytest.fixture
def member(app) -> User:
    return make_user(email="member@example.org", name="Mateo Member")
