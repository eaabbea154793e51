"""Helpers for the tests of lists, subscriptions and the public list pages: a list made
through the service, an active subscriber, and the links the e-mails carry."""

from __future__ import annotations

import re
from email.message import EmailMessage

from coalition.extensions import db
from coalition.mail import services, subscriptions
from coalition.mail.models import MailingList, Subscription
from coalition.mail.services import ListInput
from tests.factories import SYSTEM

CONFIRM_LINK = re.compile(r"https?://\S+/lists/confirm/(\S+)")


def make_list(name: str = "news", **overrides) -> MailingList:
    """A list (an open announcement list unless told otherwise), committed."""
    values = {"name": name, "display_name": f"{name.title()} list",
              "description": f"What {name} is about."}
    values.update(overrides)
    mailing_list = services.create_list(SYSTEM, ListInput(**values))
    db.session.commit()
    return mailing_list


def subscribe(mailing_list: MailingList, email: str, name: str = "", **kwargs
              ) -> Subscription:
    """An active subscriber, added by a focal contact (no confirmation), committed."""
    subscription = subscriptions.add_subscriber(SYSTEM, mailing_list, email, name, **kwargs)
    db.session.commit()
    return subscription


def confirmation_token(message: EmailMessage) -> str:
    """The token of the confirmation link in a subscribe confirmation e-mail."""
    found = CONFIRM_LINK.search(message.get_content())
    assert found, message.get_content()
    return found.group(1)


def recipients(messages: list[EmailMessage]) -> list[str]:
    return [m["To"].addresses[0].addr_spec for m in messages]
