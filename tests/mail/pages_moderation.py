"""The moderation pages for the quality gates: a queue with held posts (one by e-mail with
attachments and an HTML-looking body, one from the web), an empty queue, a held post with
a rejection note too long, and the moderators and sender rules of a list. Lists are named
mod-*."""

from __future__ import annotations

from datetime import timedelta
from email.utils import make_msgid

from coalition.auth import services as auth
from coalition.auth.models import Role
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import moderation, services, subscriptions
from coalition.mail.models import Attachment, Post
from tests.factories import PASSWORD, SYSTEM
from tests.quality.catalog import FOCAL, FOCAL_ONLY, MEMBER, NOBODY, Case, Samples

BODY = """Hello,

I would like to share our report with the coalition.
<script>alert("never run")</script>
<b>Not bold</b> — shown as text.

Regards,
Someone from outside"""


def _held(mailing_list, sender: str, subject: str, reason: str, days_ago: int, **values):
    post = Post(mailing_list=mailing_list, sender_name=values.pop("name", ""),
                sender_email=sender, subject=subject, body=values.pop("body", BODY),
                message_id=make_msgid(domain="example.net"), **values)
    db.session.add(post)
    db.session.flush()
    moderation.hold(post, reason, utcnow() - timedelta(days=days_ago))
    return post


def add_samples(s: Samples) -> None:
    """A discussion list with two held posts, a moderator (who is neither the sample member
    nor a focal contact) and two sender rules; a second list with an empty queue."""
    forum = services.create_list(SYSTEM, services.ListInput(
        name="mod-forum", display_name="Moderated forum", kind="discussion",
        posting_policy="subscribers"))
    quiet = services.create_list(SYSTEM, services.ListInput(
        name="mod-quiet", display_name="Quiet list", kind="discussion"))
    db.session.flush()
    subscriptions.add_subscriber(SYSTEM, forum, "ama@example.org", "Ama")
    by_mail = _held(forum, "outsider@example.net", "Our report on access",
                    "The sender is not a subscriber", 3, name="Olu Outsider", source="email")
    for position, (filename, kind, size) in enumerate((
            ("report.pdf", "application/pdf", 48_000),
            ("photo <1>.jpg", "image/jpeg", 1_200_000))):
        db.session.add(Attachment(post=by_mail, position=position, filename=filename,
                                  content_type=kind, size=size, data=b"sample"))
    web = _held(forum, "ama@example.org", "A question", "The subscriber is on moderation", 1,
                name="Ama", body="Who chairs on Thursday?")
    user = auth.create_user(SYSTEM, email="moderator@example.org", name="Mo Derator",
                            role=Role.MEMBER.value, password=PASSWORD)
    db.session.flush()
    moderator = moderation.add_moderator(SYSTEM, forum, user.email)
    rule = moderation.set_sender_rule(SYSTEM, forum, "friend@example.net", "accept")
    moderation.set_sender_rule(SYSTEM, forum, "spam@example.net", "discard")
    db.session.flush()
    s.mod_held_id = by_mail.id
    s.mod_web_held_id = web.id
    s.mod_moderator_id = moderator.id
    s.mod_rule_id = rule.id
    s.mod_subscription_id = subscriptions.add_subscriber(
        SYSTEM, quiet, "cy@example.org", "Cy").id


def cases(s: Samples) -> list[Case]:
    forum = "/lists/mod-forum"
    return [
        Case("moderation queue", FOCAL, f"{forum}/moderation/"),
        Case("moderation queue, empty", FOCAL, "/lists/mod-quiet/moderation/"),
        Case("held message (e-mail, attachments)", FOCAL,
             f"{forum}/moderation/{s.mod_held_id}"),
        Case("held message (web)", FOCAL, f"{forum}/moderation/{s.mod_web_held_id}"),
        Case("held message, rejection note too long", FOCAL,
             f"{forum}/moderation/{s.mod_held_id}/reject", "POST", {"note": "x" * 5001},
             400),
        Case("moderators and sender rules", FOCAL, f"{forum}/moderators"),
        Case("moderators, no login for the address", FOCAL, f"{forum}/moderators/add",
             "POST", {"email": "nobody@example.org"}, 400),
        Case("sender rules, a bad address", FOCAL, f"{forum}/sender-rules", "POST",
             {"email": "not an address", "action": "accept"}, 400),
        Case("moderators, empty", FOCAL, "/lists/mod-quiet/moderators"),
        Case("moderation queue: member forbidden", MEMBER, f"{forum}/moderation/",
             status=403),
    ]


_HELD = "/lists/mod-forum/moderation/{mod_held_id}"
MATRIX = {
    "/lists/<name>/moderation/": ("/lists/mod-forum/moderation/", FOCAL_ONLY, NOBODY),
    "/lists/<name>/moderation/<int:post_id>": (_HELD, FOCAL_ONLY, NOBODY),
    "/lists/<name>/moderation/<int:post_id>/approve": (f"{_HELD}/approve", NOBODY,
                                                       FOCAL_ONLY),
    "/lists/<name>/moderation/<int:post_id>/reject": (f"{_HELD}/reject", NOBODY, FOCAL_ONLY),
    "/lists/<name>/moderation/<int:post_id>/discard": (f"{_HELD}/discard", NOBODY,
                                                       FOCAL_ONLY),
    "/lists/<name>/moderation/<int:post_id>/accept-always": (f"{_HELD}/accept-always",
                                                             NOBODY, FOCAL_ONLY),
    "/lists/<name>/moderators": ("/lists/mod-forum/moderators", FOCAL_ONLY, NOBODY),
    "/lists/<name>/moderators/add": ("/lists/mod-forum/moderators/add", NOBODY, FOCAL_ONLY),
    "/lists/<name>/moderators/<int:moderator_id>/remove": (
        "/lists/mod-forum/moderators/{mod_moderator_id}/remove", NOBODY, FOCAL_ONLY),
    "/lists/<name>/sender-rules": ("/lists/mod-forum/sender-rules", NOBODY, FOCAL_ONLY),
    "/lists/<name>/sender-rules/<int:rule_id>/remove": (
        "/lists/mod-forum/sender-rules/{mod_rule_id}/remove", NOBODY, FOCAL_ONLY),
    "/lists/<name>/subscribers/<int:subscription_id>/moderated": (
        "/lists/mod-quiet/subscribers/{mod_subscription_id}/moderated", NOBODY, FOCAL_ONLY),
}
