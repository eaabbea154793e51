"""Notification e-mails queued by services and sent only after their transaction commits.

A service calls `queue(message)`; if the transaction rolls back, nothing is sent, and a
rolled-back savepoint drops only what was queued inside it. The durable per-recipient
outbox for list mail is a separate mechanism (mailing lists).
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import Flask, after_this_request, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from coalition.mail.transport import transport_from_config

log = logging.getLogger(__name__)
_QUEUE = "coalition.outgoing_mail"
_MARKS = "coalition.outgoing_mail.savepoints"


def queue(message: EmailMessage) -> None:
    from coalition.extensions import db

    db.session().info.setdefault(_QUEUE, []).append(message)


def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: not committed yet
        return
    messages = session.info.pop(_QUEUE, [])
    session.info.pop(_MARKS, None)
    if not messages:
        return
    app = current_app._get_current_object()
    if has_request_context():
        # Sent once the response has gone out: the page never waits for (or reveals, by
        # its timing) the relay, as the password-reset page must not.
        @after_this_request
        def _later(response):
            response.call_on_close(lambda: _send(app, messages))
            return response
    else:
        _send(app, messages)


def _send(app: Flask, messages: list[EmailMessage]) -> None:
    with app.app_context():
        try:
            with transport_from_config(app.config) as transport:
                for message in messages:
                    try:
                        transport.send(message)
                    except Exception as error:  # one bad message must not stop the rest
                        # The change itself is committed; the person can ask for it again.
                        log.error("could not send %r to %s: %s", message["Subject"],
                                  message["To"], error)
        except Exception as error:  # the relay could not be reached at all
            log.error("could not send %d notification(s): %s", len(messages), error)


def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = len(session.info.get(_QUEUE, []))


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        mark = session.info.get(_MARKS, {}).pop(id(previous), None)
        if mark is not None:
            del session.info.get(_QUEUE, [])[mark:]


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        # The outermost transaction ended: a commit has already taken the queue, so anything
        # left belongs to a rollback or a close and must never be sent later.
        session.info.pop(_QUEUE, None)
        session.info.pop(_MARKS, None)


def install(session_class: type[Session]) -> None:
    """Hook the queue into a session class (idempotent: create_app runs many times in tests)."""
    if not event.contains(session_class, "after_commit", _send_after_commit):
        event.listen(session_class, "after_commit", _send_after_commit)
        event.listen(session_class, "after_transaction_create", _mark_savepoint)
        event.listen(session_class, "after_soft_rollback", _after_rollback)
        event.listen(session_class, "after_transaction_end", _after_transaction_end)
