"""Building well-formed notification e-mails (invitations, password resets, …)."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template

from coalition.db import utcnow

# Control characters other than the line breaks and tabs one_line turns into spaces:
# PostgreSQL refuses NUL outright, and none of them means anything in a header.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def one_line(value: str) -> str:
    """Header text on one line: a CR or LF in a name or subject can never add a header,
    and no control character reaches a header or the database."""
    return " ".join(_CONTROL.sub("", value).splitlines()).strip()


def address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


def notification(to_name: str, to_email: str, subject: str, template: str,
                 **context) -> EmailMessage:
    """A plain-text message from the coalition, its body rendered from `template`."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = address(config["NAME"], config["MAIL_FROM"])
    message["To"] = address(to_name, to_email)
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=config["MAIL_DOMAIN"])
    message["Auto-Submitted"] = "auto-generated"
    body = render_template(template, coalition_name=config["NAME"], **context)
    # Plain ASCII goes as 7bit, so long links stay whole in the .eml files a developer reads;
    # anything else is quoted-printable, which every relay accepts.
    message.set_content(body, cte="7bit" if body.isascii() else "quoted-printable")
    return message
