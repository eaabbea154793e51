"""Helpers for the delivery tests: lists with many subscribers, queued posts, a worker run,
and a `coalition` process pointed at the test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from coalition.auth.models import SystemActor, User
from coalition.db import utcnow
from coalition.extensions import db
from coalition.mail import posting, services
from coalition.mail.delivery import Options, Tally, Worker
from coalition.mail.models import (
    Delivery,
    MailingList,
    Post,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    new_subscription_token,
)

if TYPE_CHECKING:
    from tests.mail.conftest import Relay

SYSTEM = SystemActor("command: tests")
SECRET_KEY = "test-secret-key-0123456789"


def smtp_settings(relay: Relay, **extra) -> dict:
    """App settings that send through `relay` (list copies and notifications alike)."""
    return {"MAIL_BACKEND": "smtp", "SMTP_HOST": relay.host, "SMTP_PORT": relay.port,
            "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 5, **extra}


def make_list(**settings) -> MailingList:
    values = {"name": "news", "display_name": "Coalition News", "kind": "announce"}
    values.update(settings)
    mailing_list = services.create_list(SYSTEM, services.ListInput(**values))
    db.session.commit()
    return mailing_list


def add_subscribers(mailing_list: MailingList, count: int = 0,
                    people: list[tuple[str, str]] | None = None) -> list[Subscription]:
    """Active subscribers in one INSERT: `people` as (email, name), else `count` made up."""
    now = utcnow()
    people = people or [(f"reader{n:04d}@example.net", f"Reader {n}") for n in range(count)]
    db.session.execute(insert(Subscription), [
        {"list_id": mailing_list.id, "email": email, "name": name,
         "status": SubscriptionStatus.ACTIVE.value, "source": SubscriptionSource.ADMIN.value,
         "delivery_enabled": True, "token": new_subscription_token(), "bounce_score": 0.0,
         "created_at": now, "subscribed_at": now}
        for email, name in people])
    db.session.commit()
    return list(db.session.scalars(select(Subscription).where(
        Subscription.list_id == mailing_list.id).order_by(Subscription.id)))


def queue_post(mailing_list: MailingList, author: User | SystemActor = SYSTEM,
               subject: str = "Meeting on Tuesday", body: str = "See you there.\n",
               body_format: str = "text") -> Post:
    """Compose and send a post the way the web does: its outbox rows are committed."""
    post = posting.compose(author, mailing_list,
                           posting.PostInput(subject=subject, body=body, body_format=body_format))
    posting.send(author, post)
    db.session.commit()
    return post


def run_worker(app, **options) -> Tally:
    """One `mail deliver --once` in this process; the test's session sees the result."""
    db.session.commit()  # on SQLite an open transaction here would block the worker
    tally = Worker(app, Options.from_config(app.config, **{"once": True, **options})).run()
    db.session.expire_all()
    return tally


def copies(post: Post) -> dict[str, Delivery]:
    """The post's outbox rows by recipient address, as the database holds them now."""
    db.session.expire_all()
    return {row.email: row for row in db.session.scalars(
        select(Delivery).where(Delivery.post_id == post.id, Delivery.is_test.is_(False)))}


def make_due(post: Post) -> None:
    """Bring the post's retries forward instead of waiting for the backoff."""
    db.session.execute(update(Delivery).where(Delivery.post_id == post.id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def arrivals(relay: Relay) -> Counter[str]:
    """How many copies each address received."""
    return Counter(address.lower() for delivery in relay.deliveries
                   for address in delivery.rcpt_tos)


# --- `coalition` as a separate process -----------------------------------------------------

def coalition_process(database_url: str, relay: Relay, instance: Path, *args: str,
                      **settings) -> subprocess.Popen:
    """Start the `coalition` console script on the test's database and relay."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("COALITION_")}
    values = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
              "BASE_URL": "http://coalition.test", "MAIL_DOMAIN": "lists.coalition.test",
              "OUTBOX_DIR": str(instance / "outbox"), "REPORTS_DIR": str(instance / "reports"),
              "LOG_LEVEL": "WARNING", **smtp_settings(relay), **settings}
    environment.update({f"COALITION_{key}": str(value) for key, value in values.items()})
    script = Path(sys.executable).with_name("coalition")
    return subprocess.Popen([str(script), *args], env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


