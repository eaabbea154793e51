"""The public and members' list pages for the quality gates: the index, a list's page for
each subscription policy and state, the subscribe form, the confirmation and unsubscribe
links, a member's own lists, and the archive, as each role sees them. (The focal
contact's pages are in pages_manage.py, with lists named board-*.)"""

from __future__ import annotations

from sqlalchemy import select

from coalition.auth.models import User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import posting, services, subscriptions
from coalition.mail.models import Post, SubscriptionStatus
from coalition.mail.posting import PostInput
from tests.factories import SYSTEM
from tests.mail.fixtures_public import make_list, subscribe
from tests.mail.test_archive import PDF, email_post, web_post
from tests.quality.catalog import (
    ANONYMOUS,
    EVERYONE,
    FOCAL,
    FORBIDDEN,
    LOGIN,
    MEMBER,
    NOBODY,
    NOT_FOUND,
    OK,
    SIGNED_IN,
    Case,
    Samples,
)

MARKDOWN = """Dear members,

Welcome to **Coalition news**. This month:

- the *IGF* session on helplines;
- the survey on [age assurance](https://example.org/survey).

<script>alert("never run")</script>"""


def _post(mailing_list, subject: str, body: str, body_format: str = "text"):
    post = posting.compose(SYSTEM, mailing_list, PostInput(subject=subject, body=body,
                                                           body_format=body_format))
    posting.send(SYSTEM, post)
    return post


def add_samples(s: Samples) -> None:
    """An open announcement list with subscriptions in every status and two sent posts,
    a members-only discussion list, a moderated list with people waiting, a closed list
    with an archive nobody but focal contacts reads, and an archived list."""
    member_user = db.session.get(User, s.member_user_id)
    news = make_list("news", display_name="Coalition news",
                     description="Announcements from the secretariat, about once a "
                                 "month.\n\nReplies go to the sender, not to the list.",
                     footer="You receive this as a subscriber of Coalition news.")
    talk = make_list("members-talk", display_name="Members' discussion", kind="discussion",
                     subscription_policy="members_only", posting_policy="members",
                     archive_visibility="members", reply_to="list")
    circle = make_list("circle", display_name="Helplines circle",
                       subscription_policy="confirm_then_moderate")
    steering = make_list("steering", display_name="Steering group",
                         subscription_policy="closed", archive_visibility="none")
    old = make_list("old-news", display_name="Old newsletter")
    services.set_list_archived(SYSTEM, old, True)

    active = subscribe(news, "reader@example.org", "Rita Reader")
    subscribe(news, s.emails[FOCAL], "Fatima Focal")
    subscriptions.subscribe_self(member_user, news)
    pending = subscriptions.request_subscription(news, "pending@example.org").subscription
    left = subscribe(news, "left@example.org")
    subscriptions.unsubscribe(None, left, "one-click")
    bounced = subscribe(news, "bouncing@example.org")
    bounced.status = SubscriptionStatus.DISABLED.value
    bounced.bounce_score, bounced.disabled_at = 5.0, utcnow()

    waiting = subscriptions.request_subscription(circle, "waiting@example.org").subscription
    subscriptions.confirm_subscription(subscriptions.confirmation_token(waiting, utcnow()))
    unconfirmed = subscriptions.request_subscription(circle, "unconfirmed@example.org") \
        .subscription
    subscriptions.subscribe_self(member_user, circle)  # waits for approval too

    subscribe(talk, "ama@example.org", "Ama Mensah")
    subscribe(steering, "chair@example.org", "Chair")
    markdown = _post(news, "Coalition news: June", MARKDOWN, "markdown")
    text = _post(news, "Meeting at the IGF — où et quand",
                 "We meet on Tuesday at 10:00 in room 4.\n\n    Indented line kept as is.")
    _post(talk, "Shall we answer the consultation?", "Views welcome by Friday.")
    minutes = _post(steering, "Minutes of the steering group", "Only for the group.")
    _add_archive_samples(s, news, talk, steering, markdown)
    db.session.commit()

    s.lists_archived_name = old.name
    s.lists_confirm_token = subscriptions.confirmation_token(pending, utcnow())
    s.lists_waiting_token = subscriptions.confirmation_token(waiting, utcnow())
    s.lists_moderated_token = subscriptions.confirmation_token(unconfirmed, utcnow())
    s.lists_unsubscribe_token = active.token
    s.lists_unsubscribed_token = left.token
    s.lists_markdown_post_id = markdown.id
    s.lists_text_post_id = text.id
    s.lists_steering_post_id = minutes.id


EMAIL_BODY = """Dear all,

The plan is attached; comments to jane@example.org or on https://example.org/plan?v=2.

<script>alert("never run")</script> <a href="#" onclick="steal()">a link</a>

> From the last call: nothing decided."""


def _add_archive_samples(s: Samples, news, talk, steering, markdown) -> None:
    """Threads and e-mail posts with attachments for the archive's pages: a public answer
    by e-mail with a PDF, a "PDF" that is HTML and script in its text; a members' thread;
    a discussion list where members' replies wait for a moderator."""
    now = utcnow()
    answer = email_post(news, "Re: Coalition news: June", EMAIL_BODY, at=now,
                        parent=markdown,
                        attachments=[("plan.pdf", "application/pdf", PDF),
                                     ("not-a-pdf.pdf", "application/pdf",
                                      b"<html><script>alert(1)</script></html>")])
    question = db.session.scalars(select(Post).where(Post.list_id == talk.id)).first()
    talk_answer = email_post(talk, "Re: Shall we answer the consultation?",
                             "Yes: draft attached.", at=now, parent=question,
                             sender=("Ama Mensah", "ama@example.org"),
                             attachments=[("draft.pdf", "application/pdf", PDF)])
    web_post(talk, "Re: Shall we answer the consultation?", "Agreed.", at=now,
             parent=talk_answer)
    forum = make_list("forum", display_name="Open forum", kind="discussion")
    subscribe(forum, "reader@example.org", "Rita Reader")
    forum_post = web_post(forum, "Welcome to the forum", "Introduce yourself.", at=now)
    s.lists_month = now.strftime("%Y-%m")
    s.lists_email_post_id = answer.id
    s.lists_thread_id = markdown.id
    s.lists_talk_post_id = talk_answer.id
    s.lists_talk_thread_id = question.id
    s.lists_forum_post_id = forum_post.id
    s.lists_steering_thread_id = db.session.scalar(
        select(Post.id).where(Post.list_id == steering.id))


def _archive_cases(s: Samples) -> list[Case]:
    month = s.lists_month
    return [
        Case("archive month by thread", ANONYMOUS, f"/lists/news/archive/{month}/"),
        Case("archive month by date", MEMBER, f"/lists/members-talk/archive/{month}/?view=date"),
        Case("archive month without messages", ANONYMOUS, "/lists/news/archive/2001-01/"),
        Case("archive thread", ANONYMOUS, f"/lists/news/archive/thread/{s.lists_thread_id}/"),
        Case("members' archive thread", MEMBER,
             f"/lists/members-talk/archive/thread/{s.lists_talk_thread_id}/"),
        Case("archived message by e-mail, visitor", ANONYMOUS,
             f"/lists/news/archive/{s.lists_email_post_id}/"),
        Case("archived message by e-mail, member", MEMBER,
             f"/lists/members-talk/archive/{s.lists_talk_post_id}/"),
        Case("archive search", ANONYMOUS, "/lists/news/archive/search?q=plan"),
        Case("archive search, nothing found", MEMBER,
             "/lists/members-talk/archive/search?q=nowhere"),
        Case("archive search, empty", ANONYMOUS, "/lists/news/archive/search"),
        Case("reply from the archive", MEMBER,
             f"/lists/members-talk/archive/{s.lists_talk_post_id}/reply"),
        Case("reply from the archive with errors", MEMBER,
             f"/lists/members-talk/archive/{s.lists_talk_post_id}/reply", "POST",
             {"subject": "", "body": ""}, 400),
        Case("reply held for a moderator", MEMBER,
             f"/lists/forum/archive/{s.lists_forum_post_id}/reply", "POST",
             {"subject": "Re: Welcome to the forum", "body": "Hello from Mateo."}),
    ]


def cases(s: Samples) -> list[Case]:
    confirm, unsubscribe = s.lists_confirm_token, s.lists_unsubscribe_token
    return [
        Case("mailing lists", ANONYMOUS, "/lists/"),
        Case("mailing lists, member", MEMBER, "/lists/"),
        Case("mailing lists, focal contact", FOCAL, "/lists/"),
        Case("open list", ANONYMOUS, "/lists/news/"),
        Case("open list, subscribed member", MEMBER, "/lists/news/"),
        Case("open list, focal contact", FOCAL, "/lists/news/"),
        Case("members-only list, visitor", ANONYMOUS, "/lists/members-talk/"),
        Case("members-only list, member may join", MEMBER, "/lists/members-talk/"),
        Case("moderated list, member waiting", MEMBER, "/lists/circle/"),
        Case("moderated list, visitor", ANONYMOUS, "/lists/circle/"),
        Case("closed list", ANONYMOUS, "/lists/steering/"),
        Case("archived list, focal contact", FOCAL, f"/lists/{s.lists_archived_name}/"),
        Case("archived list, visitor", ANONYMOUS, f"/lists/{s.lists_archived_name}/",
             status=404),
        Case("subscribe form with errors", ANONYMOUS, "/lists/news/subscribe", "POST",
             {"email": "not an address", "name": "Nadia"}, 400),
        Case("subscribe: check your e-mail", ANONYMOUS, "/lists/news/subscribe", "POST",
             {"email": "new.reader@example.org", "name": "Nadia"}),
        Case("confirm a subscription", ANONYMOUS, f"/lists/confirm/{confirm}"),
        Case("confirm, already confirmed", ANONYMOUS,
             f"/lists/confirm/{s.lists_waiting_token}"),
        Case("confirm, broken link", ANONYMOUS, "/lists/confirm/not-a-token", status=400),
        Case("subscription confirmed", ANONYMOUS, f"/lists/confirm/{confirm}", "POST"),
        Case("subscription confirmed, awaiting approval", ANONYMOUS,
             f"/lists/confirm/{s.lists_moderated_token}", "POST"),
        Case("unsubscribe", ANONYMOUS, f"/lists/unsubscribe/{unsubscribe}"),
        Case("unsubscribe, not subscribed", ANONYMOUS,
             f"/lists/unsubscribe/{s.lists_unsubscribed_token}"),
        Case("unsubscribe, unknown link", ANONYMOUS, "/lists/unsubscribe/no-such-token",
             status=404),
        Case("unsubscribed (one-click)", ANONYMOUS, f"/lists/unsubscribe/{unsubscribe}",
             "POST", {"List-Unsubscribe": "One-Click"}, csrf=False),
        Case("my mailing lists", MEMBER, "/lists/mine"),
        Case("my mailing lists, no member record", FOCAL, "/lists/mine"),
        Case("archive", ANONYMOUS, "/lists/news/archive/"),
        Case("members' archive", MEMBER, "/lists/members-talk/archive/"),
        Case("empty archive", ANONYMOUS, "/lists/circle/archive/"),
        Case("archive not open to members", MEMBER, "/lists/steering/archive/", status=404),
        Case("archived message (Markdown)", ANONYMOUS,
             f"/lists/news/archive/{s.lists_markdown_post_id}/"),
        Case("archived message (plain text)", MEMBER,
             f"/lists/news/archive/{s.lists_text_post_id}/"),
        Case("archived message, focal contact", FOCAL,
             f"/lists/steering/archive/{s.lists_steering_post_id}/"),
        *_archive_cases(s),
    ]


# Files, not pages: tested in test_archive_views (headers, types, mbox parsed back).
NOT_PAGES = ("lists.archive_attachment", "lists.archive_mbox")
_MONTH = "<int(fixed_digits=4):year>-<int(fixed_digits=2):month>"


MATRIX = {
    "/lists/": ("/lists/", EVERYONE, NOBODY),
    "/lists/<name>/": ("/lists/{lists_archived_name}/", (NOT_FOUND, NOT_FOUND, OK), NOBODY),
    # GET sends a browser to the list's page; POST is the public form (double opt-in).
    "/lists/<name>/subscribe": ("/lists/news/subscribe", EVERYONE, EVERYONE),
    "/lists/confirm/<token>": ("/lists/confirm/{lists_confirm_token}", EVERYONE, EVERYONE),
    # The token is the secret: no login, and POST is RFC 8058 one-click (no CSRF token).
    "/lists/unsubscribe/<token>": ("/lists/unsubscribe/{lists_unsubscribe_token}",
                                   EVERYONE, EVERYONE),
    "/lists/mine": ("/lists/mine", SIGNED_IN, NOBODY),
    # Joining is for members; the sample focal contact has no member record.
    "/lists/<name>/join": ("/lists/members-talk/join", NOBODY, (LOGIN, OK, FORBIDDEN)),
    "/lists/<name>/leave": ("/lists/news/leave", NOBODY, SIGNED_IN),
    "/lists/<name>/delivery": ("/lists/news/delivery", NOBODY, SIGNED_IN),
    "/lists/<name>/archive/": ("/lists/members-talk/archive/", SIGNED_IN, NOBODY),
    "/lists/<name>/archive/<int:post_id>/": (
        "/lists/steering/archive/{lists_steering_post_id}/", (NOT_FOUND, NOT_FOUND, OK),
        NOBODY),
    f"/lists/<name>/archive/{_MONTH}/": ("/lists/members-talk/archive/{lists_month}/",
                                         SIGNED_IN, NOBODY),
    f"/lists/<name>/archive/{_MONTH}.mbox": ("/lists/steering/archive/{lists_month}.mbox",
                                             (NOT_FOUND, NOT_FOUND, OK), NOBODY),
    "/lists/<name>/archive/thread/<int:thread_id>/": (
        "/lists/steering/archive/thread/{lists_steering_thread_id}/",
        (NOT_FOUND, NOT_FOUND, OK), NOBODY),
    "/lists/<name>/archive/search": ("/lists/members-talk/archive/search?q=consultation",
                                     SIGNED_IN, NOBODY),
    "/lists/<name>/archive/<int:post_id>/files/<int:position>/<path:filename>": (
        "/lists/members-talk/archive/{lists_talk_post_id}/files/1/draft.pdf", SIGNED_IN,
        NOBODY),
    # Replies: signed-in members and focal contacts of a discussion list; an empty POST
    # is the form again with its errors.
    "/lists/<name>/archive/<int:post_id>/reply": (
        "/lists/members-talk/archive/{lists_talk_post_id}/reply", SIGNED_IN, SIGNED_IN),
}
