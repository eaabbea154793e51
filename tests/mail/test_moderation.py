"""Moderation at the service level: approving, rejecting, discarding and always accepting
a held post, two moderators deciding at once, expiry, moderators, sender rules, a
subscriber put on moderation, and the list's moderation settings."""

from __future__ import annotations

from datetime import timedelta
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from coalition.audit.models import AuditEvent
from coalition.db import utcnow
from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import inbound, moderation, rules, services, subscriptions
from coalition.mail.delivery import Options, Worker
from coalition.mail.models import (
    Attachment,
    Delivery,
    InboundKind,
    ListModerator,
    MailingList,
    Post,
    PostStatus,
    SenderRule,
    Subscription,
)
from tests.factories import SYSTEM, make_user
from tests.mail.fixtures_manage import make_list, subscribe


def held_post(mailing_list: MailingList, sender: str = "stranger@example.net",
              subject: str = "Hello list", reason: str = "The sender is not a subscriber",
              now=None, **overrides) -> Post:
    """A post that came in by e-mail and was held, committed."""
    values = {"sender_name": "A Stranger", "sender_email": sender, "subject": subject,
              "body": "Hello everyone.\n<script>alert(1)</script>", "source": "email",
              "message_id": make_msgid(domain="example.net")}
    values.update(overrides)
    post = Post(mailing_list=mailing_list, **values)
    db.session.add(post)
    db.session.flush()
    moderation.hold(post, reason, now or utcnow())
    db.session.commit()
    return post


def events(entity, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == entity.__tablename__,
        AuditEvent.entity_id == str(entity.id), AuditEvent.action == action)))


def deliveries(post: Post) -> int:
    return db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.post_id == post.id))


def forum_subscription(forum: MailingList, email: str) -> Subscription:
    return db.session.scalar(select(Subscription).where(
        Subscription.list_id == forum.id, Subscription.email == email))


def to(messages) -> list[str]:
    return [m["To"].addresses[0].addr_spec for m in messages]


@pytest.fixture
def forum(app) -> MailingList:
    """A discussion list with two subscribers."""
    forum = make_list("forum", kind="discussion", posting_policy="subscribers")
    subscribe(forum, "ann@example.org", "bob@example.org")
    return forum


@pytest.fixture
def moderator(forum):
    """A login who moderates the forum (not a focal contact)."""
    user = make_user(email="mona@example.org", name="Mona Moderator")
    moderation.add_moderator(SYSTEM, forum, user.email)
    db.session.commit()
    return user


# --- holding --------------------------------------------------------------------------

def test_a_held_post_waits_with_its_expiry_and_people_are_told(forum, focal, moderator,
                                                              outbox):
    now = utcnow()
    post = held_post(forum, now=now)
    assert post.status == PostStatus.HELD
    assert post.hold_expires_at - post.held_at == timedelta(days=forum.hold_days)
    assert set(to(outbox())) == {"stranger@example.net", focal.email, moderator.email}
    assert moderation.held_posts(forum) == [post]
    assert moderation.held_count(forum) == 1


# --- approving --------------------------------------------------------------------------

def test_approving_sends_the_post_to_the_subscribers_and_the_archive(forum, moderator):
    post = held_post(forum)
    count = moderation.approve(moderator, post)
    db.session.commit()
    assert count == 2 and deliveries(post) == 2
    assert post.status == PostStatus.QUEUED and post.queued_at is not None
    assert post.thread_id == post.id  # linked into the archive's threads
    assert (post.moderated_by_id, post.moderated_at is not None) == (moderator.id, True)
    assert len(events(post, "approve")) == 1
    assert moderation.held_count(forum) == 0


def test_a_focal_contact_moderates_every_list(forum, focal):
    post = held_post(forum)
    assert moderation.approve(focal, post) == 2
    db.session.commit()
    assert post.moderated_by_id == focal.id


def test_a_second_decision_is_refused_and_changes_nothing(forum, focal, moderator, outbox):
    post = held_post(forum)
    moderation.approve(moderator, post)
    db.session.commit()
    sent_before = len(outbox())
    for decide in (lambda: moderation.approve(focal, post),
                   lambda: moderation.reject(focal, post, "No."),
                   lambda: moderation.discard(focal, post),
                   lambda: moderation.accept_always(focal, post)):
        with pytest.raises(ValidationError, match="no longer held: it was approved by Mona"):
            decide()
        db.session.rollback()
    assert post.status == PostStatus.QUEUED and post.moderated_by_id == moderator.id
    assert deliveries(post) == 2
    assert len(outbox()) == sent_before  # the sender was not told it was rejected
    assert db.session.scalar(select(SenderRule.id)) is None


def test_two_moderators_deciding_at_once_the_second_changes_nothing(forum, focal, moderator):
    """The second moderator's page (and session) still shows the post as held: the
    decision made meanwhile by the first is only in the database."""
    post = held_post(forum)
    db.session.execute(update(Post).where(Post.id == post.id).values(
        status="discarded", moderated_by_id=moderator.id, moderated_at=utcnow()))
    db.session.commit()
    # What the second moderator read just before the first one's decision committed.
    set_committed_value(post, "status", PostStatus.HELD.value)
    with pytest.raises(ValidationError, match="it was discarded by Mona Moderator"):
        moderation.approve(focal, post)
    db.session.rollback()
    assert deliveries(post) == 0
    assert db.session.get(Post, post.id).status == PostStatus.DISCARDED


def test_an_archived_list_sends_nothing_on_approval(forum, focal):
    post = held_post(forum)
    services.set_list_archived(SYSTEM, forum, True)
    with pytest.raises(ValidationError, match="archived"):
        moderation.approve(focal, post)
    db.session.rollback()
    assert post.status == PostStatus.HELD and deliveries(post) == 0
    moderation.discard(focal, post)  # it can still be taken out of the queue
    assert post.status == PostStatus.DISCARDED


# --- rejecting and discarding -------------------------------------------------------------

def test_rejecting_tells_the_sender_with_the_note(forum, moderator, outbox):
    post = held_post(forum)
    before = len(outbox())
    moderation.reject(moderator, post, "  Please subscribe first.\r\nThanks.  ")
    db.session.commit()
    assert post.status == PostStatus.REJECTED and deliveries(post) == 0
    assert post.moderation_note == "Please subscribe first.\nThanks."
    (notice,) = outbox()[before:]
    assert to([notice]) == ["stranger@example.net"]
    assert "was not accepted" in notice["Subject"]
    assert "Please subscribe first." in notice.get_content()
    assert events(post, "reject")[0].summary.startswith("Please subscribe first.")


def test_a_rejection_note_too_long_is_refused_and_the_post_stays_held(forum, moderator,
                                                                       outbox):
    post = held_post(forum)
    before = len(outbox())
    with pytest.raises(ValidationError) as refused:
        moderation.reject(moderator, post, "x" * (moderation.MAX_NOTE + 1))
    assert refused.value.field == "note"
    db.session.rollback()
    assert post.status == PostStatus.HELD and len(outbox()) == before


def test_discarding_tells_nobody(forum, moderator, outbox):
    post = held_post(forum)
    before = len(outbox())
    moderation.discard(moderator, post)
    db.session.commit()
    assert post.status == PostStatus.DISCARDED and deliveries(post) == 0
    assert len(outbox()) == before
    assert len(events(post, "discard")) == 1


# --- always accepting a sender ---------------------------------------------------------------

def test_always_accept_approves_this_post_and_adds_an_accept_rule(forum, moderator):
    first = held_post(forum, subject="First")
    second = held_post(forum, subject="Second", sender="Stranger@Example.net")
    other = held_post(forum, subject="Other", sender="other@example.net")
    count, still_held = moderation.accept_always(moderator, second)
    db.session.commit()
    assert count == 2 and second.status == PostStatus.QUEUED
    # Only this post: the sender's earlier one waits for its own decision (Mailman's way).
    assert still_held == 1
    assert (first.status, other.status) == (PostStatus.HELD, PostStatus.HELD)
    rule = moderation.sender_rule_for(forum, "STRANGER@example.net")
    assert (rule.email, rule.action, rule.created_by_id) == \
        ("stranger@example.net", "accept", moderator.id)


def test_always_accept_works_for_an_address_the_validator_refuses(forum, moderator, app):
    """The rules keep such an address as sent (rules._normalized); the rule is stored the
    same way, so the approval stands and the sender's next message goes straight out."""
    post = held_post(forum, sender="ann..dots@example.net")
    count, _ = moderation.accept_always(moderator, post)
    db.session.commit()
    assert count == 2 and post.status == PostStatus.QUEUED
    rule = moderation.sender_rule_for(forum, "ann..dots@example.net")
    assert rule.action == "accept"
    raw = (b"From: Ann <Ann..Dots@example.net>\r\nSubject: Again\r\n"
           b"Message-ID: <again@example.net>\r\n\r\nHello again.\r\n")
    stored = inbound.receive(raw, "ann..dots@example.net", "forum@lists.example.org", forum,
                             InboundKind.POST)
    outcome = rules.receive(forum, stored, utcnow())
    db.session.commit()
    assert outcome.startswith("posted to 2 subscriber(s)"), outcome
    assert "A moderator always accepts this sender" in outcome
    # Typed in the sender rules form, the address is still checked.
    with pytest.raises(ValidationError):
        moderation.set_sender_rule(moderator, forum, "bob..dots@example.net", "accept")


def test_always_accept_changes_an_existing_rule_instead_of_doubling_it(forum, focal):
    moderation.set_sender_rule(focal, forum, "stranger@example.net", "hold")
    db.session.commit()
    post = held_post(forum, reason="The sender's posts are always held")
    moderation.accept_always(focal, post)
    db.session.commit()
    rules = moderation.sender_rules(forum)
    assert [(r.email, r.action) for r in rules] == [("stranger@example.net", "accept")]
    assert len(events(rules[0], "update_rule")) == 1


# --- who may decide ---------------------------------------------------------------------------

@pytest.fixture
def outsiders(forum):
    """A plain member, nobody signed in, a deactivated moderator, and the moderator of
    another list."""
    other = make_list("other-list", kind="discussion")
    elsewhere = make_user(email="elsewhere@example.org")
    moderation.add_moderator(SYSTEM, other, elsewhere.email)
    gone = make_user(email="gone@example.org")
    moderation.add_moderator(SYSTEM, forum, gone.email)
    gone.is_active = False
    db.session.commit()
    return {"member": make_user(), "anonymous": None, "deactivated moderator": gone,
            "moderator of another list": elsewhere}


DECISIONS = {
    "approve": lambda actor, post: moderation.approve(actor, post),
    "reject": lambda actor, post: moderation.reject(actor, post, "no"),
    "discard": lambda actor, post: moderation.discard(actor, post),
    "accept always": lambda actor, post: moderation.accept_always(actor, post),
}


@pytest.mark.parametrize("decision", DECISIONS)
def test_only_moderators_decide(forum, outsiders, decision, outbox):
    post = held_post(forum)
    before = len(outbox())
    for who, actor in outsiders.items():
        with pytest.raises(PermissionDenied):
            DECISIONS[decision](actor, post)
        db.session.rollback()
        assert post.status == PostStatus.HELD, who
    assert deliveries(post) == 0 and len(outbox()) == before
    assert db.session.scalar(select(SenderRule.id)) is None


# --- expiry --------------------------------------------------------------------------------

def test_expiry_discards_undecided_posts_silently(forum, moderator, outbox):
    now = utcnow()
    old = held_post(forum, subject="Old", now=now - timedelta(days=15))
    young = held_post(forum, subject="Young", now=now - timedelta(days=13))
    decided = held_post(forum, subject="Decided", now=now - timedelta(days=20))
    moderation.reject(moderator, decided, "")
    db.session.commit()
    before = len(outbox())
    assert moderation.expire_held(now) == 1
    db.session.commit()
    assert (old.status, young.status, decided.status) == \
        (PostStatus.DISCARDED, PostStatus.HELD, PostStatus.REJECTED)
    assert old.moderated_by_id is None
    event = events(old, "expire")[0]
    assert event.actor_label == "list rules" and "14 day(s)" in event.summary
    assert len(outbox()) == before  # the sender was told the date when it was held
    assert moderation.expire_held(now) == 0
    with pytest.raises(ValidationError, match="expired and was discarded"):
        moderation.approve(moderator, old)


def test_the_hold_time_is_the_lists(forum, focal):
    forum.hold_days = 2
    db.session.commit()
    now = utcnow()
    post = held_post(forum, now=now - timedelta(days=2, minutes=1))
    assert moderation.expire_held(now) == 1
    assert post.status == PostStatus.DISCARDED


def test_the_cli_expires_held_posts(forum, runner):
    post = held_post(forum, now=utcnow() - timedelta(days=30))
    result = runner.invoke(args=["mail", "expire-held"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 held post(s) expired and were discarded.\n"
    db.session.expire_all()
    assert post.status == PostStatus.DISCARDED


def test_the_delivery_worker_expires_held_posts_as_it_runs(app, forum):
    post = held_post(forum, now=utcnow() - timedelta(days=30))
    Worker(app, Options(once=True, connections=1)).run()
    db.session.expire_all()
    assert post.status == PostStatus.DISCARDED


# --- moderators -----------------------------------------------------------------------------

def test_a_focal_contact_adds_and_removes_a_moderator(forum, focal):
    user = make_user(email="Nina@Example.org", name="Nina")
    assert not services.can_moderate(user, forum)
    moderator = moderation.add_moderator(focal, forum, "  nina@example.ORG ")
    db.session.commit()
    assert services.can_moderate(user, forum)
    assert [m.user.email for m in moderation.moderators_of(forum)] == ["nina@example.org"]
    assert moderation.moderated_lists(user) == [forum]
    assert len(events(forum, "add_moderator")) == 1
    moderation.remove_moderator(focal, moderator)
    db.session.commit()
    assert not services.can_moderate(user, forum)
    assert moderation.moderated_lists(user) == []
    assert len(events(forum, "remove_moderator")) == 1


@pytest.mark.parametrize(("email", "message"), [
    ("nobody@example.org", "Nobody signs in with this address"),
    ("not an address", "not a valid e-mail address"),
    ("gone@example.org", "is deactivated"),
    ("focal@example.org", "moderates every list already"),
    ("mona@example.org", "already moderates this list"),
])
def test_a_moderator_must_be_an_active_login(forum, focal, moderator, email, message):
    make_user(email="gone@example.org", is_active=False)
    with pytest.raises(ValidationError, match=message):
        moderation.add_moderator(focal, forum, email)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ListModerator)) == 1


def test_only_focal_contacts_choose_moderators(forum, moderator):
    user = make_user()
    with pytest.raises(PermissionDenied):
        moderation.add_moderator(moderator, forum, user.email)
    with pytest.raises(PermissionDenied):
        moderation.remove_moderator(moderator, moderation.moderators_of(forum)[0])
    with pytest.raises(PermissionDenied):
        moderation.add_moderator(None, forum, user.email)


# --- sender rules ---------------------------------------------------------------------------

def test_a_moderator_sets_changes_and_removes_a_sender_rule(forum, moderator):
    rule = moderation.set_sender_rule(moderator, forum, "Spam@Example.net", "discard")
    db.session.commit()
    assert (rule.email, rule.action) == ("spam@example.net", "discard")
    again = moderation.set_sender_rule(moderator, forum, "spam@example.net", "reject")
    assert again is rule and rule.action == "reject"
    moderation.set_sender_rule(moderator, forum, "spam@example.net", "reject")  # no change
    db.session.commit()
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "list_sender_rules").order_by(AuditEvent.id))] == \
        ["add_rule", "update_rule"]
    moderation.remove_sender_rule(moderator, rule)
    db.session.commit()
    assert moderation.sender_rules(forum) == []


@pytest.mark.parametrize(("email", "action", "field"), [
    ("not an address", "accept", "email"), ("", "accept", "email"),
    ("someone@example.net", "bless", "action"),
])
def test_a_bad_sender_rule_is_refused(forum, focal, email, action, field):
    with pytest.raises(ValidationError) as refused:
        moderation.set_sender_rule(focal, forum, email, action)
    assert refused.value.field == field


def test_sender_rules_are_the_lists_moderators_business(forum, outsiders):
    rule = moderation.set_sender_rule(SYSTEM, forum, "spam@example.net", "discard")
    db.session.commit()
    for actor in outsiders.values():
        with pytest.raises(PermissionDenied):
            moderation.set_sender_rule(actor, forum, "someone@example.net", "accept")
        with pytest.raises(PermissionDenied):
            moderation.remove_sender_rule(actor, rule)
    db.session.rollback()
    assert [r.email for r in moderation.sender_rules(forum)] == ["spam@example.net"]


# --- a subscriber on moderation -------------------------------------------------------------

def test_a_subscriber_is_put_on_moderation_and_taken_off(forum, moderator):
    ann = forum_subscription(forum, "ann@example.org")
    subscriptions.set_moderated(moderator, ann, True)
    db.session.commit()
    assert ann.moderated is True
    subscriptions.set_moderated(moderator, ann, True)  # already: nothing recorded
    subscriptions.set_moderated(moderator, ann, False)
    db.session.commit()
    assert ann.moderated is False
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "subscriptions", AuditEvent.entity_id == str(ann.id),
        AuditEvent.action.in_(("moderate", "unmoderate"))).order_by(AuditEvent.id))] == \
        ["moderate", "unmoderate"]


def test_only_moderators_put_subscribers_on_moderation(forum, outsiders):
    ann = forum_subscription(forum, "ann@example.org")
    for actor in outsiders.values():
        with pytest.raises(PermissionDenied):
            subscriptions.set_moderated(actor, ann, True)
    assert ann.moderated is False


# --- the list's moderation settings -----------------------------------------------------------

def test_the_moderation_settings_are_saved_and_audited(forum):
    data = services.list_input(forum)
    assert (data.nonmember_action, data.max_message_kb, data.attachment_policy,
            data.hold_days) == ("hold", 1024, "keep", 14)
    data.nonmember_action, data.max_message_kb = "reject", 25_600
    data.attachment_policy, data.hold_days = "strip", 90
    changes = services.update_list(SYSTEM, forum, data)
    db.session.commit()
    assert changes == {"nonmember_action": ["hold", "reject"],
                       "max_message_kb": [1024, 25_600],
                       "attachment_policy": ["keep", "strip"], "hold_days": [14, 90]}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("max_message_kb", 0, "between 1 and 25,600 KB"),
    ("max_message_kb", 25_601, "between 1 and 25,600 KB"),
    ("max_message_kb", None, "whole number of KB"),
    ("hold_days", 0, "between 1 and 90 days"),
    ("hold_days", 91, "between 1 and 90 days"),
    ("hold_days", "7", "whole number of days"),
    ("nonmember_action", "accept", "Choose one of the options"),
    ("attachment_policy", "scan", "Choose one of the options"),
])
def test_bad_moderation_settings_are_refused(forum, field, value, message):
    data = services.list_input(forum)
    setattr(data, field, value)
    with pytest.raises(ValidationError, match=message) as refused:
        services.update_list(SYSTEM, forum, data)
    assert refused.value.field == field
    db.session.rollback()
    assert (forum.max_message_kb, forum.hold_days) == (1024, 14)


def test_size_counts_the_text_and_attachments_of_a_web_post(forum):
    post = held_post(forum, source="web", body="abc")
    db.session.add(Attachment(post=post, position=0, filename="a.pdf",
                              content_type="application/pdf", size=1000, data=b"x"))
    db.session.commit()
    assert moderation.size_of(post) == 1003
