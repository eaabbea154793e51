"""`coalition demo load` gives a new user two lists and a welcome announcement that the
worker delivers into instance/outbox/ (the default file backend)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from sqlalchemy import func, select

from coalition.mail.models import Delivery, InboundMessage, MailingList, Post, Subscription
from coalition.members.models import Member, MemberStatus


def _eml(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_demo_lists_have_the_active_members_and_the_welcome_goes_out(runner, db, app):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    lists = {m.name: m for m in db.session.scalars(select(MailingList))}
    assert set(lists) == {"announce", "discuss"}
    assert lists["announce"].is_announce and not lists["discuss"].is_announce
    active_members = set(db.session.scalars(select(Member.email).where(
        Member.status == MemberStatus.ACTIVE)))
    on_discuss = set(db.session.scalars(select(Subscription.email).where(
        Subscription.list_id == lists["discuss"].id, Subscription.status == "active")))
    assert on_discuss == active_members
    on_announce = set(db.session.scalars(select(Subscription.email).where(
        Subscription.list_id == lists["announce"].id, Subscription.status == "active")))
    assert on_announce > active_members and "journalist@example.net" in on_announce

    welcome = db.session.scalar(select(Post).where(Post.list_id == lists["announce"].id))
    assert welcome.status == "queued" and welcome.recipient_count == len(on_announce)
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.post_id == welcome.id)) == len(on_announce)

    # The discussion list received a thread by e-mail and holds a stranger's message.
    received = list(db.session.scalars(select(Post).where(
        Post.list_id == lists["discuss"].id).order_by(Post.id)))
    assert [(p.source, p.status) for p in received] == [("email", "queued")] * 3 + [
        ("email", "held")]
    first, reply, answer, stranger = received
    assert {first.thread_id, reply.thread_id, answer.thread_id} == {first.id}
    assert (reply.parent_id, answer.parent_id) == (first.id, reply.id)
    assert first.sender_email in on_discuss and reply.sender_email in on_discuss
    assert stranger.sender_email not in on_discuss and "may not post" in stranger.hold_reason
    inbound = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [m.status for m in inbound] == ["handled"] * 4
    assert inbound[0].outcome.startswith(f"posted to {len(on_discuss)} subscriber(s)")
    thread_copies = len(on_discuss) * 3

    db.session.commit()  # the worker's threads have sessions of their own
    outbox = Path(app.config["OUTBOX_DIR"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    result = runner.invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert f"{len(on_announce) + thread_copies} sent" in result.output
    copies = [_eml(path) for path in set(outbox.glob("*.eml")) - before]
    assert len(copies) == len(on_announce) + thread_copies
    first = next(c for c in copies if c["List-Id"].endswith("<announce.lists.coalition.test>"))
    discussion = next(c for c in copies if c["Message-ID"] == answer.message_id)
    assert discussion["From"] == f"{answer.sender_name} <{answer.sender_email}>"
    assert discussion["Subject"] == "[DC-COS discuss] Re: Draft agenda for our IGF session"
    assert first["Subject"] == "[DC-COS] Welcome to the coalition's new home"
    assert first["List-Post"] == "NO"
    assert "/lists/unsubscribe/" in first.get_body(("plain",)).get_content()
    # The welcome links to the reports page at the coalition's public address.
    assert f"{app.config['BASE_URL']}/reports/" in first.get_body(("html",)).get_content()
