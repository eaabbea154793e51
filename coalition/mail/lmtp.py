"""`coalition mail lmtp`: the LMTP server the mail server (Postfix, Exim) hands list mail
to, as Mailman 3's LMTP runner does (aiosmtpd's LMTP protocol in a Controller thread).

An unknown address is refused at RCPT time (550), never accepted and dropped. After DATA,
LMTP answers once per recipient: each recipient's copy is stored and committed before its
"250", then handled in a transaction of its own; a copy whose handling fails stays stored
(failed, to be retried), so the answer is still "250": the message is not lost, and the
mail server must not send it again. Only a copy that could not be stored gets "451"
(the mail server retries later). The database work runs in worker threads, off the event
loop, each in its own app context and session.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from flask import Flask

from coalition.db import reading
from coalition.extensions import db
from coalition.mail import inbound

log = logging.getLogger(__name__)

UNKNOWN = "550 5.1.1 <{}>: no such list here"
NOT_STORED = "451 4.3.0 <{}>: could not store the message now; try again later"
TRY_LATER = "451 4.3.0 <{}>: cannot check this address now; try again later"
STORED = "250 2.0.0 <{}>: stored ({} #{})"


class _Protocol(LMTP):
    # RFC 5321 lines are 1000 octets at most, but mail in the wild has longer ones (a huge
    # header, an HTML part on one line); refusing those would lose them: they are stored and
    # their problems reported in the outcome instead. The limit still bounds memory.
    line_length_limit = 1 << 20


class InboundHandler:
    """aiosmtpd handler: checks recipients against the lists, stores and handles messages."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        loop = asyncio.get_running_loop()
        try:
            known = await loop.run_in_executor(None, self._known, address)
        except Exception:
            log.exception("could not look up the recipient %s", address)
            return TRY_LATER.format(address)
        if not known:
            return UNKNOWN.format(address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        raw = envelope.original_content or b""
        replies = []
        for recipient in envelope.rcpt_tos:
            replies.append(await loop.run_in_executor(
                None, self.deliver, raw, envelope.mail_from or "", recipient))
        # LMTP (RFC 2033): one reply line per accepted recipient, in RCPT order.
        return "\r\n".join(replies)

    def _known(self, recipient: str) -> bool:
        with self.app.app_context(), reading():  # a read: never queued behind a writer
            return inbound.list_for(recipient) is not None

    def deliver(self, raw: bytes, mail_from: str, recipient: str) -> str:
        """Store one recipient's copy (committed), then handle it; the LMTP reply line."""
        with self.app.app_context():
            try:
                found = inbound.list_for(recipient)
                if found is None:  # archived between RCPT and DATA
                    return UNKNOWN.format(recipient)
                mailing_list, parsed = found
                stored = inbound.receive(raw, mail_from, recipient, mailing_list, parsed.kind)
                db.session.commit()
                stored_id = stored.id
            except Exception:
                log.exception("could not store a message for %s", recipient)
                db.session.rollback()
                return NOT_STORED.format(recipient)
            try:
                result = inbound.process(stored_id)
                status = result.status if result is not None else "received"
                outcome = result.outcome if result is not None else ""
            except Exception:  # the database went away after storing: retried later
                log.exception("inbound message %s stored but not handled", stored_id)
                db.session.rollback()
                status, outcome = "received", "not handled yet"
            log.info("message #%s from <%s> to <%s>: %s", stored_id, mail_from, recipient,
                     outcome or status)
            return STORED.format(recipient, status, stored_id)


class LMTPController(Controller):
    """aiosmtpd's threaded Controller, serving LMTP (Mailman 3 does the same)."""

    def __init__(self, app: Flask, host: str, port: int):
        super().__init__(InboundHandler(app), hostname=host, port=port,
                         data_size_limit=app.config["LMTP_MAX_BYTES"],
                         enable_SMTPUTF8=True, server_hostname=app.config["MAIL_DOMAIN"])

    def factory(self):
        return _Protocol(self.handler, **self.SMTP_kwargs)


def serve(app: Flask, host: str, port: int, stop: threading.Event) -> None:
    """Run the LMTP server until `stop` is set."""
    # aiosmtpd logs every connection and command at INFO ("mail.log"); the operator wants
    # one line per message (above) and aiosmtpd's warnings.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    with app.app_context():
        recovered = inbound.recover()
    if recovered:
        log.warning("handled %s message(s) stored but left unhandled by an earlier run",
                    recovered)
    controller = LMTPController(app, host, port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()
