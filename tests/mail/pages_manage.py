"""The focal contact's list pages and the composing pages for the quality gates: new list
and settings, subscribers in every state, CSV import, and posts as drafts, under way and
delivered, as the focal contact and as a member who may post. Lists are named board-*."""

from __future__ import annotations

import io

from sqlalchemy import update

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import posting, services, subscriptions
from coalition.mail.models import Delivery, DeliveryStatus, SubscriptionStatus
from coalition.mail.posting import PostInput
from tests.factories import SYSTEM
from tests.quality.catalog import (
    FOCAL,
    FOCAL_ONLY,
    MEMBER,
    NOBODY,
    SIGNED_IN,
    Case,
    Samples,
)

NOT_PAGES = ("list_posts.progress",)  # JSON for the page's script; tested in test_post_views

MARKDOWN = """Dear board,

The **annual meeting** is on *5 May*:

1. the accounts;
2. the [action plan](https://example.org/plan).

<script>alert("never run")</script>"""


def _list(name: str, display_name: str, **values):
    mailing_list = services.create_list(SYSTEM, services.ListInput(
        name=name, display_name=display_name, **values))
    db.session.flush()
    return mailing_list


def _add(mailing_list, *emails: str):
    return [subscriptions.add_subscriber(SYSTEM, mailing_list, email, f"Person {n}")
            for n, email in enumerate(emails, start=1)]


def _set(post, status: str, reply: str, *emails: str) -> None:
    db.session.execute(update(Delivery).where(Delivery.post_id == post.id,
                                              Delivery.email.in_(emails))
                       .values(status=status, last_reply=reply, attempts=1,
                               sent_at=utcnow() if status == DeliveryStatus.SENT else None))


def add_samples(s: Samples) -> None:
    """An announcement list with a subscription in every state, drafts (one with a test
    copy) and sent posts (under way with failures; delivered); a discussion list where
    members write, with the member's own draft and sent post; an archived list."""
    focal = db.session.get(User, s.focal_user_id)
    member = db.session.get(User, s.member_user_id)
    board = _list("board-announce", "Board announcements", subject_prefix="[Board]",
                  subscription_policy="confirm_then_moderate",
                  footer="The board of the coalition.")
    active, paused, bouncing, gone, _, _ = _add(
        board, "ama@example.org", "paula@example.org", "dora@example.org",
        "gone@example.org", "bo@example.org", "cy@example.org")
    subscriptions.set_delivery(SYSTEM, paused, False)
    bouncing.status = SubscriptionStatus.DISABLED.value
    bouncing.bounce_score = 5.0
    bouncing.last_bounce_at = bouncing.disabled_at = utcnow()
    subscriptions.unsubscribe(None, gone, "one-click")
    waiting = subscriptions.request_subscription(board, "wanda@example.org", "Wanda").subscription
    waiting.confirmed_at = utcnow()
    subscriptions.request_subscription(board, "pat@example.org")

    draft = posting.compose(focal, board, PostInput("Annual meeting", MARKDOWN, "markdown"))
    db.session.flush()
    posting.send_test(focal, draft)
    plain = posting.compose(focal, board, PostInput(
        "Minutes", "Dear board,\n\nThe minutes are attached to the wiki.\n\n-- \nFatima",
        "text"))
    under_way = posting.compose(focal, board, PostInput("Call for papers", "Send them in."))
    posting.send(focal, under_way)
    _set(under_way, DeliveryStatus.SENT, "250 2.0.0 Ok", "ama@example.org")
    _set(under_way, DeliveryStatus.RETRY, "451 4.7.1 <bo@example.org>: greylisted",
         "bo@example.org")
    _set(under_way, DeliveryStatus.FAILED, "550 5.1.1 <cy@example.org>: no such user",
         "cy@example.org")
    delivered = posting.compose(focal, board, PostInput("Welcome", "Welcome to the board."))
    posting.send(focal, delivered)
    _set(delivered, DeliveryStatus.SENT, "250 2.0.0 Ok", "ama@example.org", "bo@example.org",
         "cy@example.org")

    talk = _list("board-talk", "Board discussion", kind="discussion",
                 posting_policy="members", reply_to="list")
    _add(talk, "ama@example.org", "cy@example.org")
    own_draft = posting.compose(member, talk, PostInput("My question", "Who chairs?"))
    own_sent = posting.compose(member, talk, PostInput("My answer", "I can chair."))
    posting.send(member, own_sent)
    _set(own_sent, DeliveryStatus.SENT, "250 2.0.0 Ok", "ama@example.org")
    _set(own_sent, DeliveryStatus.FAILED, "550 5.1.1 <cy@example.org>: no such user",
         "cy@example.org")
    focal_talk = posting.compose(focal, talk, PostInput("Agenda", "The agenda follows."))

    archived = _list("board-archived", "Old board list")
    _add(archived, "ama@example.org")
    services.set_list_archived(SYSTEM, archived, True)
    db.session.flush()
    s.board_subscription_id = active.id
    s.board_disabled_id = bouncing.id
    s.board_waiting_id = waiting.id
    s.board_draft_id = draft.id
    s.board_plain_draft_id = plain.id
    s.board_under_way_id = under_way.id
    s.board_delivered_id = delivered.id
    s.board_own_draft_id = own_draft.id
    s.board_own_sent_id = own_sent.id
    s.board_focal_talk_id = focal_talk.id


def _import_file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"email,name\nnew.one@example.org,New One\ngone@example.org,Gone\n"
                      b"not-an-address,Broken\nama@example.org,Ama\n"), "board.csv"


def _list_fields(name: str, **overrides) -> dict:
    return {"name": name, "display_name": "Board news", "kind": "announce",
            "subscription_policy": "open", "posting_policy": "focal_contacts",
            "reply_to": "sender", "archive_visibility": "public", **overrides}


def cases(s: Samples) -> list[Case]:
    board = "/lists/board-announce"
    talk = "/lists/board-talk"
    return [
        Case("new list", FOCAL, "/lists/new"),
        Case("new list, with errors", FOCAL, "/lists/new", "POST",
             _list_fields("Board News", display_name="", reply_to="address",
                          reply_to_address="not an address"), 400),
        Case("list settings", FOCAL, f"{board}/settings"),
        Case("list settings, reserved name", FOCAL, f"{board}/settings", "POST",
             _list_fields("board-owner"), 400),
        Case("archived list's settings", FOCAL, "/lists/board-archived/settings"),
        Case("subscribers", FOCAL, f"{board}/subscribers"),
        Case("subscribers, filtered and searched", FOCAL,
             f"{board}/subscribers?status=disabled&q=dora"),
        Case("subscribers, nothing found", FOCAL, f"{board}/subscribers?q=nobody-at-all"),
        Case("subscribers, adding a bad address", FOCAL, f"{board}/subscribers", "POST",
             {"email": "not an address", "name": "Someone"}, 400),
        Case("archived list's subscribers", FOCAL, "/lists/board-archived/subscribers"),
        Case("import subscribers", FOCAL, f"{board}/subscribers/import"),
        Case("import subscribers, rows with errors", FOCAL, f"{board}/subscribers/import",
             "POST", {"file": _import_file(), "mode": "all_or_nothing"}, 400),
        Case("import subscribers, valid rows imported", FOCAL,
             f"{board}/subscribers/import", "POST",
             {"file": _import_file(), "mode": "valid_rows"}),
        Case("messages and drafts", FOCAL, f"{board}/posts/"),
        Case("write to a list", FOCAL, f"{board}/compose"),
        Case("write to a list, with errors", FOCAL, f"{board}/compose", "POST",
             {"subject": "", "body": "", "body_format": "text"}, 400),
        Case("draft (Markdown) with a test copy", FOCAL, f"{board}/posts/{s.board_draft_id}"),
        Case("draft (plain text)", FOCAL, f"{board}/posts/{s.board_plain_draft_id}"),
        Case("edit a draft", FOCAL, f"{board}/posts/{s.board_draft_id}/edit"),
        Case("send without confirming", FOCAL, f"{board}/posts/{s.board_plain_draft_id}/send",
             "POST", {}, 400),
        Case("sent message, delivery under way", FOCAL,
             f"{board}/posts/{s.board_under_way_id}"),
        Case("sent message, delivered", FOCAL, f"{board}/posts/{s.board_delivered_id}"),
        Case("member's messages and drafts", MEMBER, f"{talk}/posts/"),
        Case("member writes to a list", MEMBER, f"{talk}/compose"),
        Case("member's own draft", MEMBER, f"{talk}/posts/{s.board_own_draft_id}"),
        Case("member's own sent message, a failure", MEMBER,
             f"{talk}/posts/{s.board_own_sent_id}"),
        Case("member's own draft, edit", MEMBER, f"{talk}/posts/{s.board_own_draft_id}/edit"),
        Case("someone else's draft: member forbidden", MEMBER,
             f"{talk}/posts/{s.board_focal_talk_id}", status=403),
        Case("write to a focal contacts' list: member forbidden", MEMBER,
             f"{board}/compose", status=403),
        Case("list settings: member forbidden", MEMBER, f"{board}/settings", status=403),
    ]


_SUBSCRIPTION = "/lists/board-announce/subscribers/{board_subscription_id}"
_DRAFT = "/lists/board-announce/posts/{board_draft_id}"
MATRIX = {
    "/lists/new": ("/lists/new", FOCAL_ONLY, FOCAL_ONLY),
    "/lists/<name>/settings": ("/lists/board-announce/settings", FOCAL_ONLY, FOCAL_ONLY),
    "/lists/<name>/settings/archived": ("/lists/board-announce/settings/archived", NOBODY,
                                        FOCAL_ONLY),
    "/lists/<name>/subscribers": ("/lists/board-announce/subscribers", FOCAL_ONLY,
                                  FOCAL_ONLY),
    "/lists/<name>/subscribers/<int:subscription_id>/remove": (
        f"{_SUBSCRIPTION}/remove", NOBODY, FOCAL_ONLY),
    "/lists/<name>/subscribers/<int:subscription_id>/approve": (
        "/lists/board-announce/subscribers/{board_waiting_id}/approve", NOBODY, FOCAL_ONLY),
    "/lists/<name>/subscribers/<int:subscription_id>/delivery": (
        f"{_SUBSCRIPTION}/delivery", NOBODY, FOCAL_ONLY),
    "/lists/<name>/subscribers/<int:subscription_id>/reenable": (
        "/lists/board-announce/subscribers/{board_disabled_id}/reenable", NOBODY, FOCAL_ONLY),
    "/lists/<name>/subscribers/import": ("/lists/board-announce/subscribers/import",
                                         FOCAL_ONLY, FOCAL_ONLY),
    # Members who may post (posting policy "members") see their own posts and write.
    "/lists/<name>/posts/": ("/lists/board-talk/posts/", SIGNED_IN, NOBODY),
    "/lists/<name>/compose": ("/lists/board-talk/compose", SIGNED_IN, SIGNED_IN),
    # A focal contact's draft: its author and the focal contacts only.
    "/lists/<name>/posts/<int:post_id>": (_DRAFT, FOCAL_ONLY, NOBODY),
    "/lists/<name>/posts/<int:post_id>/edit": (f"{_DRAFT}/edit", FOCAL_ONLY, FOCAL_ONLY),
    "/lists/<name>/posts/<int:post_id>/test": (f"{_DRAFT}/test", NOBODY, FOCAL_ONLY),
    "/lists/<name>/posts/<int:post_id>/send": (f"{_DRAFT}/send", NOBODY, FOCAL_ONLY),
    "/lists/<name>/posts/<int:post_id>/progress": (
        "/lists/board-announce/posts/{board_under_way_id}/progress", FOCAL_ONLY, NOBODY),
}
