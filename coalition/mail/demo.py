"""Demo lists: an announcement list and a members' discussion list with the demo members
on them, a few public subscribers, and one welcome announcement queued for the worker."""

from __future__ import annotations

from coalition.auth.models import Actor, User
from coalition.mail import posting, services, subscriptions
from coalition.mail.models import SubscriptionSource
from coalition.urls import external_url

WELCOME = """\
Dear members and friends of the coalition,

Welcome to our new home. From today the coalition's **members, action plan, reports and
mailing lists** live in one place:

- the [reports page]({reports}) has every annual report and position paper, searchable;
- members update the status of the action items they own themselves;
- this announcement list replaces the old spreadsheet of addresses.

Every message carries a link to unsubscribe at once. Replies to this announcement reach
the focal contact, not the whole list; for discussion, members use the discussion list.

With best regards,
the focal contact
"""

PUBLIC_SUBSCRIBERS = (
    ("journalist@example.net", "Jon Reporter"),
    ("helpline@example.com", "Kinderhilfe Helpline"),
    ("researcher@example.edu", "Dr. Ngozi Okafor"),
)


def load(actor: Actor, focal_contact: User) -> None:
    announce = services.create_list(actor, services.ListInput(
        name="announce", display_name="DC-COS Announcements",
        description="News from the Dynamic Coalition on Child Online Safety: sessions, "
                    "reports and calls for input. About one message a month.\n\n"
                    "Anyone may subscribe; members are subscribed when they join.",
        kind="announce", subscription_policy="open", posting_policy="focal_contacts",
        subscribe_members=True, reply_to="sender", archive_visibility="public",
        subject_prefix="[DC-COS]",
        footer="Dynamic Coalition on Child Online Safety — an IGF dynamic coalition."))
    services.create_list(actor, services.ListInput(
        name="discuss", display_name="DC-COS Members' discussion",
        description="Discussion among the coalition's members: drafts, session planning, "
                    "questions to each other.",
        kind="discussion", subscription_policy="members_only", posting_policy="subscribers",
        subscribe_members=True, reply_to="list", archive_visibility="members",
        subject_prefix="[DC-COS discuss]"))
    for email, name in PUBLIC_SUBSCRIBERS:
        subscriptions.add_subscriber(actor, announce, email, name,
                                source=SubscriptionSource.DEMO.value)
    welcome = posting.compose(focal_contact, announce, posting.PostInput(
        subject="Welcome to the coalition's new home",
        body=WELCOME.format(reports=external_url("reports.index")),
        body_format="markdown"))
    posting.send(focal_contact, welcome)
