"""How a finished message leaves the application: written to a folder, or sent over SMTP.

A transport is a context manager, so a batch of messages reuses one SMTP connection:

    with transport_from_config(app.config) as transport:
        for message in messages:
            transport.send(message)
"""

from __future__ import annotations

import copy
import os
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any, Protocol


class TransportError(Exception):
    """A message could not be handed over. `temporary` says whether retrying may help;
    `about` what failed: "recipient" (refused at RCPT or DATA: the address's fault),
    "message" (the relay would not take this message) or "relay" (no connection, a login
    refused, the relay closing: every message would fail alike)."""

    def __init__(self, message: str, temporary: bool, code: int | None = None,
                 about: str = "message"):
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.about = about


class Transport(Protocol):
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, message: EmailMessage, recipients: list[str] | None = None,
             sender: str | None = None) -> None: ...
    def send_raw(self, data: bytes, sender: str, recipients: list[str]) -> str: ...


def envelope(message: EmailMessage, recipients: list[str] | None,
             sender: str | None) -> tuple[str, list[str]]:
    """Envelope sender and recipients: given explicitly, or read from the headers."""
    if recipients is None:
        recipients = [
            address.addr_spec
            for field in ("To", "Cc", "Bcc")
            for header in message.get_all(field, [])
            for address in header.addresses
        ]
    if sender is None:
        header = message["Sender"] or message["From"]
        if header is None or not header.addresses:
            raise TransportError("message has no sender", temporary=False)
        sender = header.addresses[0].addr_spec
    if not recipients:
        raise TransportError("message has no recipients", temporary=False)
    return sender, recipients


class FileTransport:
    """Writes each message as one .eml file; nothing leaves the machine."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)

    def __enter__(self) -> FileTransport:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: EmailMessage, recipients: list[str] | None = None,
             sender: str | None = None) -> None:
        sender, recipients = envelope(message, recipients, sender)
        stored = copy.copy(message)
        del stored["Bcc"]  # as SMTP delivery does: Bcc recipients stay out of the copy
        self.send_raw(stored.as_bytes(policy=SMTP_POLICY), sender, recipients)

    def send_raw(self, data: bytes, sender: str, recipients: list[str]) -> str:
        name = f"{uuid.uuid4().hex}.eml"
        temporary = self.directory / f".{name}.tmp"
        # Envelope first, as Postfix's "X-Original-To" does, so a reader sees who it was for.
        with open(temporary, "wb") as handle:
            handle.write(f"X-Envelope-From: <{sender}>\r\n".encode())
            for recipient in recipients:
                handle.write(f"X-Envelope-To: <{recipient}>\r\n".encode())
            handle.write(data)
        os.replace(temporary, self.directory / name)  # readers never see half a file
        return f"written to {name}"


class SmtpTransport:
    """Sends through a relay: plain, STARTTLS or SMTPS, with an optional login."""

    def __init__(self, host: str, port: int, security: str = "none", user: str | None = None,
                 password: str | None = None, timeout: float = 30,
                 ca_file: str | None = None, local_hostname: str | None = None):
        if security not in {"none", "starttls", "ssl"}:
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.security = host, port, security
        self.user, self.password = user, password
        self.timeout = timeout
        self.ca_file = ca_file
        self.local_hostname = local_hostname
        self._smtp: smtplib.SMTP | None = None
        self._last_reply = ""

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout,
                    context=self._tls_context(), local_hostname=self.local_hostname)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                    local_hostname=self.local_hostname)
                if self.security == "starttls":
                    smtp.starttls(context=self._tls_context())
            if self.user:
                smtp.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as error:
            _close(smtp)
            raise TransportError(f"relay refused the login: {error.smtp_error!r}",
                                 temporary=False, code=error.smtp_code, about="relay") from error
        except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as error:
            # STARTTLS or AUTH not offered, or an untrusted certificate: a setting to fix,
            # not something a retry mends.
            _close(smtp)
            raise TransportError(f"cannot use {self.host}:{self.port} as configured: {error}",
                                 temporary=False, about="relay") from error
        except (OSError, smtplib.SMTPException) as error:
            _close(smtp)
            raise TransportError(f"cannot reach {self.host}:{self.port}: {error}",
                                 temporary=True, about="relay") from error
        _keep_data_reply(smtp)
        return smtp

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def _drop_connection(self) -> None:
        _close(self._smtp)
        self._smtp = None

    def send(self, message: EmailMessage, recipients: list[str] | None = None,
             sender: str | None = None) -> None:
        sender, recipients = envelope(message, recipients, sender)
        self._submit(lambda smtp: smtp.send_message(message, from_addr=sender,
                                                    to_addrs=recipients))

    def send_raw(self, data: bytes, sender: str, recipients: list[str]) -> str:
        """Send bytes already in SMTP form (CRLF lines); returns the relay's reply."""
        options = ["SMTPUTF8"] if not (sender + "".join(recipients)).isascii() else []
        self._submit(lambda smtp: smtp.sendmail(sender, recipients, data, mail_options=options))
        return self._last_reply

    def _submit(self, hand_over) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        try:
            refused = hand_over(smtp)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise TransportError(f"recipient refused: {code} {_text(reply)}",
                                 temporary=400 <= code < 500, code=code,
                                 about="recipient") from error
        except smtplib.SMTPSenderRefused as error:
            raise TransportError(f"sender refused: {error.smtp_code} {_text(error.smtp_error)}",
                                 temporary=400 <= error.smtp_code < 500,
                                 code=error.smtp_code, about="message") from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # the server is closing the connection
                self._drop_connection()
                raise TransportError(f"relay closing: 421 {_text(error.smtp_error)}",
                                     temporary=True, code=421, about="relay") from error
            # A refusal after DATA, with one recipient per message, is about that recipient.
            about = "recipient" if isinstance(error, smtplib.SMTPDataError) else "message"
            raise TransportError(f"relay answered {error.smtp_code} {_text(error.smtp_error)}",
                                 temporary=400 <= error.smtp_code < 500,
                                 code=error.smtp_code, about=about) from error
        except smtplib.SMTPNotSupportedError as error:
            # e.g. an internationalised address and a relay without SMTPUTF8
            raise TransportError(f"relay cannot take this message: {error}",
                                 temporary=False) from error
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop_connection()
            raise TransportError(f"connection lost: {error}", temporary=True,
                                 about="relay") from error
        if refused:
            code, reply = next(iter(refused.values()))
            raise TransportError(f"some recipients refused: {refused!r}",
                                 temporary=400 <= code < 500, code=code, about="recipient")
        code, reply = getattr(smtp, "coalition_data_reply", (250, b""))
        self._last_reply = f"{code} {_text(reply)}"


def _keep_data_reply(smtp: smtplib.SMTP) -> None:
    """Keep the relay's answer to DATA (its queue id), which smtplib does not return."""
    hand_over = smtp.data

    def data(message):
        reply = hand_over(message)
        smtp.coalition_data_reply = reply  # type: ignore[attr-defined]
        return reply

    smtp.data = data  # type: ignore[method-assign]


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())[:400]


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    if config["MAIL_BACKEND"] == "smtp":
        return SmtpTransport(
            host=config["SMTP_HOST"], port=config["SMTP_PORT"],
            security=config["SMTP_SECURITY"], user=config["SMTP_USER"],
            password=config["SMTP_PASSWORD"], timeout=config["SMTP_TIMEOUT"],
            ca_file=config["SMTP_CA_FILE"],
        )
    return FileTransport(config["OUTBOX_DIR"])
