"""Notification e-mails queued by services and sent only after their transaction commits.

A service calls `queue(message)`; if the transaction rolls back, nothing is sent. The
durable per-recipient outbox for list mail is a separate mechanism (mail lists).
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from coalition.mail.transport import TransportError, transport_from_config

log = logging.getLogger(__name__)
_KEY = "coalition.outgoing_mail"


def queue(message: EmailMessage) -> None:
    from coalition.extensions import db

    db.session().info.setdefault(_KEY, []).append(message)


def _send_after_commit(session: Session) -> None:
    messages = session.info.pop(_KEY, [])
    if not messages:
        return
    try:
        with transport_from_config(current_app.config) as transport:
            for message in messages:
                transport.send(message)
    except TransportError as error:
        # The change itself is committed; the person can ask for the mail again.
        log.error("could not send %d notification(s): %s", len(messages), error)


def _discard_after_rollback(session: Session, _transaction) -> None:
    session.info.pop(_KEY, None)


def install(session_class: type[Session]) -> None:
    """Hook the queue into a session class (idempotent: create_app runs many times in tests)."""
    if not event.contains(session_class, "after_commit", _send_after_commit):
        event.listen(session_class, "after_commit", _send_after_commit)
        event.listen(session_class, "after_soft_rollback", _discard_after_rollback)
