"""`coalition demo load` gives a new user two lists and a welcome announcement that the
worker delivers into instance/outbox/ (the default file backend)."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from sqlalchemy import func, select

from coalition.mail.models import Delivery, MailingList, Post, Subscription
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

    welcome = db.session.scalar(select(Post))
    assert welcome.status == "queued" and welcome.recipient_count == len(on_announce)
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == len(on_announce)

    db.session.commit()  # the worker's threads have sessions of their own
    outbox = Path(app.config["OUTBOX_DIR"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    result = runner.invoke(args=["mail", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert f"{len(on_announce)} sent" in result.output
    copies = [_eml(path) for path in set(outbox.glob("*.eml")) - before]
    assert len(copies) == len(on_announce)
    first = copies[0]
    assert first["Subject"] == "[DC-COS] Welcome to the coalition's new home"
    assert first["List-Post"] == "NO"
    assert "/lists/unsubscribe/" in first.get_body(("plain",)).get_content()
    # The welcome links to the reports page at the coalition's public address.
    assert f"{app.config['BASE_URL']}/reports/" in first.get_body(("html",)).get_content()
