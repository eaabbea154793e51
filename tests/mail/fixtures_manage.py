"""Lists, subscribers and posts for the tests of the focal contact's and posters' pages
(test_manage_views.py, test_post_views.py, test_imports.py)."""

from __future__ import annotations

from sqlalchemy import select

from coalition.auth.models import User
from coalition.extensions import db
from coalition.mail import posting, services, subscriptions
from coalition.mail.delivery import Options, Worker
from coalition.mail.models import MailingList, Post, Subscription
from tests.factories import SYSTEM, make_member


def make_list(name: str = "board-announce", **overrides) -> MailingList:
    values = {"name": name, "display_name": overrides.pop("display_name",
                                                          name.replace("-", " ").title())}
    values.update(overrides)
    mailing_list = services.create_list(SYSTEM, services.ListInput(**values))
    db.session.commit()
    return mailing_list


def subscribe(mailing_list: MailingList, *emails: str) -> list[Subscription]:
    """Active subscribers, added as a focal contact adds them."""
    found = [subscriptions.add_subscriber(SYSTEM, mailing_list, email, f"Name of {email}")
             for email in emails]
    db.session.commit()
    return found


def make_draft(mailing_list: MailingList, author, subject: str = "Meeting on Thursday",
               body: str = "We meet at 10:00.", body_format: str = "text") -> Post:
    post = posting.compose(author, mailing_list, posting.PostInput(subject, body, body_format))
    db.session.commit()
    return post


def make_poster(**overrides) -> User:
    """A signed-in member with a member record (members may post where the list allows)."""
    member = make_member(login=True, **overrides)
    return db.session.scalar(select(User).where(User.member_id == member.id))


def deliver(app) -> None:
    """Run the delivery worker until the outbox is drained (file backend: instance/outbox)."""
    db.session.commit()
    Worker(app, Options(once=True, connections=1)).run()
    db.session.expire_all()


def text_of(response) -> str:
    return response.get_data(as_text=True)

