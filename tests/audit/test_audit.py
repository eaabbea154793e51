"""The audit trail: what services record, and the focal contact's filtered, paged view."""

from __future__ import annotations

from sqlalchemy import select

from coalition.audit import services as audit
from coalition.audit.models import AuditEvent
from coalition.auth import services as auth
from tests.factories import make_user


def test_diff_keeps_only_changed_fields(member):
    before = audit.snapshot(member, ["name", "role", "is_active"])
    member.name = "Renamed"
    assert audit.diff(before, audit.snapshot(member, ["name", "role", "is_active"])) == {
        "name": ["Mateo Member", "Renamed"]}


def test_every_login_change_leaves_an_event_with_who_and_what(db, focal):
    user = make_user()
    auth.set_active(focal, user, False)
    auth.set_active(focal, user, True)
    auth.change_role(focal, user, "focal_contact")
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_id == str(user.id), AuditEvent.actor_id == focal.id)
        .order_by(AuditEvent.id)).all()
    assert [(e.action, e.changes) for e in events] == [
        ("deactivate", {"is_active": [True, False]}),
        ("activate", {"is_active": [False, True]}),
        ("change_role", {"role": ["member", "focal_contact"]}),
    ]
    assert all(e.at is not None and e.at.tzinfo is not None for e in events)


def test_audit_page_lists_events_newest_first(client, focal, login, db):
    user = make_user(name="Olga Oldname")
    auth.change_role(focal, user, "focal_contact")
    db.session.commit()
    login(focal)
    page = client.get("/audit/").get_data(as_text=True)
    assert page.index("change_role") < page.index("create")
    assert "member → focal_contact" in page


def test_audit_page_filters_by_person_and_record(client, focal, login, db):
    first, second = make_user(), make_user()
    auth.set_active(focal, first, False)
    db.session.commit()
    login(focal)
    page = client.get(f"/audit/?actor={focal.email}").get_data(as_text=True)
    assert "1 event." in page and f"users #{first.id}" in page
    page = client.get("/audit/?actor=command: tests").get_data(as_text=True)
    assert "3 events." in page  # the three logins the factory made
    page = client.get(f"/audit/?entity_type=users&entity_id={second.id}").get_data(as_text=True)
    assert "1 event." in page and "deactivate" not in page


def test_audit_page_is_paginated(client, focal, login, db):
    for _ in range(60):
        make_user()
    login(focal)
    first = client.get("/audit/").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/audit/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert first.count("<tr>") == 51  # header row + 50 events
