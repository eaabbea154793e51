"""Members reach the lists that subscribe members automatically: when a list starts to,
when a member becomes active or leaves, changes address, is erased, or is imported."""

from __future__ import annotations

from sqlalchemy import select

from coalition.audit.models import AuditEvent
from coalition.extensions import db
from coalition.mail import posting, services, subscriptions
from coalition.mail.models import Delivery, MailingList, Subscription
from coalition.mail.posting import PostInput
from coalition.members import imports
from coalition.members import services as members
from coalition.members.services import MemberInput
from tests.factories import SYSTEM, make_member
from tests.mail.fixtures_public import make_list, subscribe
from tests.members.pages_import import csv_file


def statuses(mailing_list: MailingList) -> dict[str, str]:
    """{address: status} of everyone on the list."""
    return dict(db.session.execute(select(Subscription.email, Subscription.status).where(
        Subscription.list_id == mailing_list.id)).all())


def row(mailing_list: MailingList, email: str) -> Subscription:
    return db.session.scalar(select(Subscription).where(
        Subscription.list_id == mailing_list.id, Subscription.email == email))


def member_input(member, **changes) -> MemberInput:
    values = {"name": member.name, "email": member.email,
              "stakeholder_group": member.stakeholder_group, "country": member.country}
    values.update(changes)
    return MemberInput(**values)


# --- a list that starts to subscribe members -------------------------------------------

def test_a_new_list_that_says_so_subscribes_every_active_member(app):
    ana = make_member(name="Ana Active", email="ana@example.org")
    make_member(email="lapsed@example.org", status="lapsed")
    make_member(email="applicant@example.org", status="applicant")
    make_member(email="gone@example.org", status="left")
    make_member(email=None)  # an active member without an address
    everyone = make_list("everyone", subscribe_members=True)
    plain = make_list("news")
    assert statuses(everyone) == {"ana@example.org": "active"}
    subscription = row(everyone, "ana@example.org")
    assert (subscription.member_id, subscription.name, subscription.source) == \
        (ana.id, "Ana Active", "membership")
    assert subscription.token and subscription.delivery_enabled
    assert statuses(plain) == {}
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "mailing_lists", AuditEvent.action == "subscribe_members"))
    assert event.summary == "1 active member(s) subscribed"


def test_turning_the_setting_on_subscribes_members_but_not_who_unsubscribed(app):
    make_member(email="ana@example.org")
    ben = make_member(email="ben@example.org")
    news = make_list("news")
    own = subscribe(news, "ben@example.org", member=ben)
    subscriptions.unsubscribe(None, own, "one-click")
    db.session.commit()
    data = services.list_input(news)
    data.subscribe_members = True
    services.update_list(SYSTEM, news, data)
    db.session.commit()
    assert statuses(news) == {"ana@example.org": "active", "ben@example.org": "unsubscribed"}
    # Saving the settings again subscribes nobody twice.
    services.update_list(SYSTEM, news, data)
    db.session.commit()
    assert len(statuses(news)) == 2


# --- members joining and leaving -------------------------------------------------------

def test_a_member_created_active_is_subscribed_to_those_lists_only(app):
    everyone = make_list("everyone", subscribe_members=True)
    plain = make_list("news")
    member = make_member(email="new@example.org")
    subscription = row(everyone, "new@example.org")
    assert subscription.is_active and subscription.member_id == member.id
    assert statuses(plain) == {}


def test_an_applicant_is_subscribed_when_they_become_active(app):
    everyone = make_list("everyone", subscribe_members=True)
    applicant = make_member(email="applicant@example.org", status="applicant")
    assert statuses(everyone) == {}
    members.set_status(SYSTEM, applicant, "active")
    db.session.commit()
    assert statuses(everyone) == {"applicant@example.org": "active"}


def test_an_archived_list_subscribes_nobody(app):
    everyone = make_list("everyone", subscribe_members=True)
    services.set_list_archived(SYSTEM, everyone, True)
    make_member(email="new@example.org")
    assert statuses(everyone) == {}


def test_a_pending_request_under_the_members_address_becomes_active(app):
    everyone = make_list("everyone", subscribe_members=True)
    subscriptions.request_subscription(everyone, "new@example.org")
    db.session.commit()
    member = make_member(email="new@example.org")
    subscription = row(everyone, "new@example.org")
    assert subscription.is_active and subscription.member_id == member.id


def test_leaving_unsubscribes_from_those_lists_only(app):
    everyone = make_list("everyone", subscribe_members=True)
    plain = make_list("news")
    member = make_member(email="leaver@example.org")
    subscribe(plain, "leaver@example.org", member=member)
    members.archive_member(SYSTEM, member)
    db.session.commit()
    assert statuses(everyone) == {"leaver@example.org": "unsubscribed"}
    assert row(everyone, "leaver@example.org").unsubscribed_at is not None
    assert statuses(plain) == {"leaver@example.org": "active"}


def test_leaving_unsubscribes_from_an_archived_list_too(app):
    everyone = make_list("everyone", subscribe_members=True)
    member = make_member(email="leaver@example.org")
    services.set_list_archived(SYSTEM, everyone, True)
    members.archive_member(SYSTEM, member)
    services.set_list_archived(SYSTEM, everyone, False)
    db.session.commit()
    assert statuses(everyone) == {"leaver@example.org": "unsubscribed"}


def test_lapsing_keeps_the_subscription(app):
    everyone = make_list("everyone", subscribe_members=True)
    member = make_member(email="lapsing@example.org")
    members.set_status(SYSTEM, member, "lapsed")
    db.session.commit()
    assert statuses(everyone) == {"lapsing@example.org": "active"}


def test_a_member_who_comes_back_after_leaving_is_subscribed_again(app):
    everyone = make_list("everyone", subscribe_members=True)
    member = make_member(email="back@example.org")
    members.archive_member(SYSTEM, member)
    members.restore_member(SYSTEM, member)
    db.session.commit()
    assert statuses(everyone) == {"back@example.org": "active"}


def test_coming_back_does_not_put_back_a_list_the_member_had_left_themselves(app):
    everyone = make_list("everyone", subscribe_members=True)
    member = make_member(email="back@example.org")
    subscriptions.unsubscribe(None, row(everyone, "back@example.org"), "one-click")
    members.archive_member(SYSTEM, member)
    members.restore_member(SYSTEM, member)
    db.session.commit()
    assert statuses(everyone) == {"back@example.org": "unsubscribed"}


def test_renewing_does_not_put_back_a_member_who_unsubscribed_themselves(app):
    everyone = make_list("everyone", subscribe_members=True)
    member = make_member(email="quiet@example.org")
    subscriptions.unsubscribe(None, row(everyone, "quiet@example.org"), "one-click")
    members.set_status(SYSTEM, member, "lapsed")
    members.set_status(SYSTEM, member, "active")
    db.session.commit()
    assert statuses(everyone) == {"quiet@example.org": "unsubscribed"}


def test_a_new_member_who_unsubscribed_before_joining_stays_off(app):
    everyone = make_list("everyone", subscribe_members=True)
    earlier = subscribe(everyone, "reader@example.org")
    subscriptions.unsubscribe(None, earlier, "link")
    db.session.commit()
    member = make_member(email="reader@example.org")
    assert statuses(everyone) == {"reader@example.org": "unsubscribed"}
    assert earlier.member_id == member.id  # but the row is now theirs, for their profile


# --- addresses -------------------------------------------------------------------------

def test_the_subscriptions_follow_a_new_address(app):
    everyone = make_list("everyone", subscribe_members=True)
    plain = make_list("news")
    member = make_member(email="old@example.org")
    subscribe(plain, "old@example.org", member=member)
    members.update_member(SYSTEM, member, member_input(member, email="New@Example.org"))
    db.session.commit()
    assert statuses(everyone) == {"new@example.org": "active"}
    assert statuses(plain) == {"new@example.org": "active"}
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "subscriptions", AuditEvent.action == "update",
        AuditEvent.entity_id == str(row(plain, "new@example.org").id)))
    assert event.changes == {"email": ["old@example.org", "new@example.org"]}


def test_a_subscription_already_under_the_new_address_wins(app):
    plain = make_list("news")
    member = make_member(email="old@example.org")
    subscribe(plain, "old@example.org", member=member)
    subscribe(plain, "new@example.org")
    members.update_member(SYSTEM, member, member_input(member, email="new@example.org"))
    db.session.commit()
    assert statuses(plain) == {"old@example.org": "active", "new@example.org": "active"}


def test_erasure_leaves_no_address_on_any_list(app):
    everyone = make_list("everyone", subscribe_members=True)
    plain = make_list("news")
    member = make_member(name="Erin Erased", email="erin@example.org", login=True)
    # Subscribed by the public form before (or beside) the member record: not linked.
    subscriptions.request_subscription(plain, "erin@example.org", "Erin E.")
    db.session.commit()
    members.erase_member(SYSTEM, member)
    db.session.commit()
    for mailing_list in (everyone, plain):
        [(address, status)] = statuses(mailing_list).items()
        assert address.endswith("@erased.invalid") and status == "unsubscribed"
    assert not db.session.scalars(select(Subscription).where(
        Subscription.name.contains("Erin"))).all()
    trail = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "subscriptions")).all()
    assert trail and not any("erin" in str(event.changes).lower() for event in trail)


def test_erasure_reaches_the_outbox_copies_and_they_are_not_sent(app):
    news = make_list("news")
    member = make_member(name="Erin Erased", email="erin@example.org")
    subscribe(news, "erin@example.org", "Erin Erased", member=member)
    subscribe(news, "other@example.org")
    post = posting.compose(SYSTEM, news, PostInput(subject="Hello", body="Hello all."))
    posting.send(SYSTEM, post)
    db.session.commit()
    members.erase_member(SYSTEM, member)
    db.session.commit()
    copies = dict(db.session.execute(select(Delivery.email, Delivery.name)).all())
    assert "erin@example.org" not in copies and "other@example.org" in copies
    assert all("Erin" not in name for name in copies.values())


# --- imports ---------------------------------------------------------------------------

def test_a_member_import_subscribes_the_new_active_members(app):
    everyone = make_list("everyone", subscribe_members=True)
    make_member(email="already@example.org")
    data = csv_file([
        ["Nia New", "nia@example.org", "academia", "KE", "", "", ""],
        ["Abe Applicant", "abe@example.org", "academia", "KE", "", "applicant", ""],
        ["Already There", "already@example.org", "academia", "KE", "", "", ""],
    ])
    imports.apply_import(SYSTEM, imports.preview_import(SYSTEM, data))
    db.session.commit()
    assert statuses(everyone) == {"already@example.org": "active",
                                  "nia@example.org": "active"}
    nia = row(everyone, "nia@example.org")
    assert nia.member is not None and nia.member.name == "Nia New"
