"""Helpers for the inbound tests: a real LMTP server on a free port, bound to the test's
app and database, and an LMTP client session that reads one reply per recipient."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from coalition.extensions import db
from coalition.mail.lmtp import LMTPController
from coalition.mail.models import InboundMessage, Post
from tests.mail.conftest import RELAY_HOST, free_port

DOMAIN = "lists.coalition.test"


@dataclass
class Server:
    host: str
    port: int

    def client(self) -> smtplib.LMTP:
        client = smtplib.LMTP(self.host, self.port, local_hostname="mx.test", timeout=10)
        client.ehlo_or_helo_if_needed()
        return client

    def send(self, raw: bytes | str, recipients: list[str], sender: str = "ann@example.net",
             ) -> dict[str, tuple[int, str]]:
        """One LMTP transaction: each recipient's reply, at RCPT (if refused) or after DATA
        (LMTP answers once per accepted recipient, in order)."""
        db.session.commit()  # the server's sessions must see what the test wrote (SQLite)
        if isinstance(raw, str):
            raw = raw.encode()
        replies: dict[str, tuple[int, str]] = {}
        with self.client() as client:
            code, text = client.mail(sender)
            assert code == 250, text
            accepted = []
            for recipient in recipients:
                code, text = client.rcpt(recipient)
                if code == 250:
                    accepted.append(recipient)
                else:
                    replies[recipient] = (code, text.decode())
            if accepted:
                code, text = client.data(raw)
                replies[accepted[0]] = (code, text.decode())
                for recipient in accepted[1:]:
                    code, text = client.getreply()
                    replies[recipient] = (code, text.decode())
        db.session.expire_all()
        return replies


def running_server(app) -> Iterator[Server]:
    """A running LMTP server for this test's app (a test module's `lmtp` fixture)."""
    controller = LMTPController(app, RELAY_HOST, free_port())
    controller.start()
    try:
        yield Server(RELAY_HOST, controller.port)
    finally:
        controller.stop()


def message(sender: str = "Ann Example <ann@example.net>", to: str = f"news@{DOMAIN}",
            subject: str = "Hello", body: str = "Hello everyone.\n", extra: str = "",
            message_id: str = "<m1@example.net>") -> str:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n{extra}"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}")


def stored() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


# A discussion list whose subscribers post directly, for the end-to-end tests.
LIST = f"news@{DOMAIN}"
SUBSCRIBERS = [("ann@example.net", "Ann"), ("bob@example.net", "Bob"),
               ("carol@example.org", "Carol")]


def post_from(inbound_id: int) -> Post:
    """The post a stored message became."""
    db.session.expire_all()
    return db.session.scalar(select(Post).where(Post.inbound_id == inbound_id))
