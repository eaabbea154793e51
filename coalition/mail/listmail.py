"""The copies of a post as they go out: one personalised message per recipient.

Everything the copies share (headers, the encoded body) is built once per post with the
`email` package; a copy adds only its own lines (To, List-Unsubscribe, the footer with
the recipient's link), so ten thousand copies cost little more than ten thousand links.
Every header value passes through the `email` package or `formataddr`, on one line, so
no subject or name can add a header.
"""

from __future__ import annotations

import binascii
import html
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr

from flask import current_app

from coalition.db import utcnow
from coalition.mail.messages import _one_line, address
from coalition.mail.models import ArchiveVisibility, MailingList, Post, ReplyTo
from coalition.mail.rendering import html_body
from coalition.urls import external_url

SLOT = "RECIPIENTSLOT"  # where a copy puts its own unsubscribe token
# Longest line SMTP carries (RFC 5321 says 1000 with CRLF); longer ones go quoted-printable.
MAX_LINE = 998


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    token: str | None = None  # the subscription's secret; None for a test copy


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_7bit(text: str) -> bool:
    return text.isascii() and all(len(line) <= MAX_LINE for line in text.split("\n"))


def _encode(text: str, quoted_printable: bool) -> bytes:
    """Body text as SMTP lines: 7bit as it is, or quoted-printable (UTF-8)."""
    if quoted_printable:
        data = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True)
    else:
        data = text.encode("ascii")
    return data.replace(b"\n", b"\r\n")


@dataclass
class _Part:
    """One body part whose end (the footer) differs per recipient."""

    content_type: str
    start: bytes  # the shared beginning, already encoded
    footer: str  # with SLOT where the recipient's link goes
    end: str
    quoted_printable: bool

    def render(self, unsubscribe_url: str, escape: bool) -> bytes:
        link = html.escape(unsubscribe_url) if escape else unsubscribe_url
        tail = self.footer.replace(SLOT, link) + self.end
        cte = "quoted-printable" if self.quoted_printable else "7bit"
        return (f'Content-Type: {self.content_type}; charset="utf-8"\r\n'
                f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode() + \
            self.start + _encode(tail, self.quoted_printable)


def _part(content_type: str, body: str, footer: str, end: str) -> _Part:
    body, footer, end = _crlf(body), _crlf(footer), _crlf(end)
    sample = footer.replace(SLOT, "x" * 40)
    quoted_printable = not _is_7bit(body + sample + end)
    return _Part(content_type, _encode(body, quoted_printable), footer, end, quoted_printable)


def _to_header(recipient: Recipient) -> str:
    """The recipient's name RFC 2047-encoded; an internationalised address (RFC 6532) goes
    as UTF-8, which the transport then sends with SMTPUTF8."""
    name = _one_line(recipient.name)
    if recipient.email.isascii():
        return formataddr((name, recipient.email), charset="utf-8")
    return formataddr((name, "x@x.invalid"), charset="utf-8").replace(
        "x@x.invalid", recipient.email)


def list_id(mailing_list: MailingList, domain: str) -> str:
    return f"{mailing_list.name}.{domain}"


class PostMessage:
    """A post made ready for sending; `render(recipient)` gives one copy's bytes."""

    def __init__(self, post: Post, test: bool = False):
        config = current_app.config
        mailing_list = post.mailing_list
        self.list_name = mailing_list.name
        self.domain = config["MAIL_DOMAIN"]
        self.test = test
        list_address = f"{mailing_list.name}@{self.domain}"
        request_address = f"{mailing_list.name}-request@{self.domain}"
        self.unsubscribe_url = external_url("lists.unsubscribe", token=SLOT)
        self.list_page = external_url("lists.detail", name=mailing_list.name)
        self.unsubscribe_mailto = f"mailto:{request_address}?subject=unsubscribe"
        self.personal_to = mailing_list.is_announce

        headers = EmailMessage()
        headers["From"] = address(f"{post.sender_name} via {mailing_list.display_name}",
                                  list_address)
        if mailing_list.reply_to == ReplyTo.LIST:
            headers["Reply-To"] = address(mailing_list.display_name, list_address)
        elif mailing_list.reply_to == ReplyTo.ADDRESS and mailing_list.reply_to_address:
            headers["Reply-To"] = mailing_list.reply_to_address
        else:
            headers["Reply-To"] = address(post.sender_name, post.sender_email)
        if not self.personal_to:
            headers["To"] = address(mailing_list.display_name, list_address)
        subject = _one_line(post.subject)
        prefix = _one_line(mailing_list.subject_prefix)
        if prefix and not subject.startswith(prefix):
            subject = f"{prefix} {subject}"
        headers["Subject"] = f"[TEST] {subject}" if test else subject
        headers["Date"] = format_datetime(post.queued_at or utcnow())
        headers["Message-ID"] = post.message_id
        if post.in_reply_to:
            headers["In-Reply-To"] = post.in_reply_to
        if post.references:
            headers["References"] = _one_line(post.references)
        headers["List-Id"] = f"{_one_line(mailing_list.display_name)} " \
                             f"<{list_id(mailing_list, self.domain)}>"
        headers["List-Help"] = f"<mailto:{request_address}?subject=help>, <{self.list_page}>"
        headers["List-Post"] = "NO" if mailing_list.is_announce else f"<mailto:{list_address}>"
        if mailing_list.archive_visibility != ArchiveVisibility.NONE:
            headers["List-Archive"] = f"<{external_url('lists.archive', name=mailing_list.name)}>"
            if not test:
                headers["Archived-At"] = "<{}>".format(external_url(
                    "lists.archived_post", name=mailing_list.name, post_id=post.id))
        headers["List-Owner"] = f"<mailto:{mailing_list.name}-owner@{self.domain}>"
        headers["Precedence"] = "list"
        headers["MIME-Version"] = "1.0"
        shared = headers.as_bytes(policy=SMTP_POLICY)
        self.shared_headers = shared[:-2] if shared.endswith(b"\r\n\r\n") else shared

        footer_lines = ["", "", "_" * 47, f"{mailing_list.display_name} <{list_address}>"]
        if mailing_list.footer:
            footer_lines.append(_crlf(mailing_list.footer))
        unsubscribe_line = ("This is a test copy: subscribers' copies carry their own "
                            f"unsubscribe link.\n{self.list_page}" if test
                            else f"Unsubscribe: {SLOT}")
        text_footer = "\n".join(footer_lines) + "\n" + unsubscribe_line + "\n"
        body = _crlf(post.body).rstrip("\n")
        self.text = _part("text/plain", body, text_footer, "")
        rendered = html_body(post.body, post.body_format)
        self.html: _Part | None = None
        if rendered is not None:
            footer_html = html.escape(mailing_list.footer).replace("\n", "<br>\n")
            link = (f'<a href="{html.escape(self.list_page)}">{html.escape(self.list_page)}</a>'
                    if test else f'<a href="{SLOT}">Unsubscribe</a>')
            self.html = _part(
                "text/html",
                '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n' + rendered,
                '<hr>\n<p style="color:#555;font-size:90%">'
                f"{html.escape(mailing_list.display_name)} &lt;{html.escape(list_address)}&gt;"
                f"{'<br>' + footer_html if footer_html else ''}<br>\n{link}</p>\n",
                "</body></html>\n")
            self.boundary = f"=_coalition_{secrets.token_hex(16)}"

    def envelope_sender(self, recipient: Recipient) -> str:
        """The bounce address: with the subscription's token, a bounce names its subscriber
        exactly (VERP), however the receiving server rewrites the message."""
        if recipient.token:
            return f"{self.list_name}-bounces+{recipient.token}@{self.domain}"
        return f"{self.list_name}-bounces@{self.domain}"

    def render(self, recipient: Recipient) -> bytes:
        if self.test or not recipient.token:
            unsubscribe = self.list_page
        else:
            unsubscribe = self.unsubscribe_url.replace(SLOT, recipient.token)
        lines = [self.shared_headers]
        if self.personal_to:
            to = _to_header(recipient)
            lines.append(f"To: {to}\r\n".encode())
        if not self.test and recipient.token:
            lines.append(f"List-Unsubscribe: <{unsubscribe}>, <{self.unsubscribe_mailto}>\r\n"
                         "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n".encode())
        if self.html is None:
            lines.append(self.text.render(unsubscribe, escape=False))
        else:
            boundary = self.boundary.encode()
            lines += [b'Content-Type: multipart/alternative; boundary="', boundary,
                      b'"\r\n\r\n--', boundary, b"\r\n",
                      self.text.render(unsubscribe, escape=False),
                      b"\r\n--", boundary, b"\r\n",
                      self.html.render(unsubscribe, escape=True),
                      b"\r\n--", boundary, b"--\r\n"]
        return b"".join(lines)
