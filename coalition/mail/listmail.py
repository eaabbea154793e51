"""The copies of a post as they go out: one personalised message per recipient.

Everything the copies share (headers, the encoded body) is built once per post with the
`email` package; a copy adds only its own lines (To, List-Unsubscribe, the footer with
the recipient's link), so ten thousand copies cost little more than ten thousand links.
Every header value passes through the `email` package or `formataddr`, on one line, so
no subject or name can add a header.

A post received by e-mail goes out as it came: its MIME body untouched (less the
attachments a list strips), with the footer appended to a plain-text message whose text
could be read, else added as a part of its own beside the original (multipart/mixed, as
Mailman does). Only the headers listed in PASSED_HEADERS come from the sender's message;
everything else is the list's own. Dropped on purpose: Received and Return-Path (trace of
the sender's side, which our relay starts again and which can name their internal
hosts), any List-* (ours replace them), and DKIM-Signature and ARC-*: the prefix and the
footer change what the sender's domain signed, so the signature would fail at the
receiver anyway, and a failing signature only produces DMARC failure reports for the
sender's domain. An HTML part with a script in it goes to subscribers as received: mail
programs do not run scripts, and the list is not a content filter (the archive shows
only the text).
"""

from __future__ import annotations

import binascii
import html
import io
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import SMTP as SMTP_POLICY
from email.policy import compat32
from email.utils import format_datetime, formataddr, getaddresses, parsedate_to_datetime

from flask import current_app

from coalition.db import utcnow
from coalition.mail import dmarc, incoming, threads
from coalition.mail.messages import address, one_line
from coalition.mail.models import (
    ArchiveVisibility,
    AttachmentPolicy,
    MailingList,
    Post,
    ReplyTo,
)
from coalition.mail.rendering import html_body
from coalition.urls import external_url

log = logging.getLogger(__name__)
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
    name = one_line(recipient.name)
    if recipient.email.isascii():
        return formataddr((name, recipient.email), charset="utf-8")
    return formataddr((name, "x@x.invalid"), charset="utf-8").replace(
        "x@x.invalid", recipient.email)


def list_id(mailing_list: MailingList, domain: str) -> str:
    return f"{mailing_list.name}.{domain}"


def prefixed(subject: str, prefix: str) -> str:
    """The subject with the list's prefix in front, once: a reply's "Re: [Prefix] Topic"
    becomes "[Prefix] Re: Topic", as Mailman writes it."""
    subject, prefix = one_line(subject), one_line(prefix)
    if not prefix:
        return subject
    rest = " ".join(subject.replace(prefix, " ").split())
    return f"{prefix} {rest}".rstrip()


# Headers of a received message that its copies keep (besides the list's own).
PASSED_HEADERS = ("Content-Language", "Organization", "User-Agent", "X-Mailer")
_SAFE_HEADER_VALUE = re.compile(r"[^\x00-\x1f\x7f]{0,200}")


def _writable(value) -> bool:
    """Whether the `email` package writes this header value (an Address or a list of
    them) whole: it raises on some names and local parts it parsed itself (a Cc of
    `"x)@[y`), and one failing header would stop every copy of the post."""
    try:
        trial = EmailMessage()
        trial["To"] = value
        trial.as_bytes(policy=SMTP_POLICY)
    except Exception:
        return False
    return True


def _sender_address(name: str, email: str):
    """The address with its name, else without it, else None: whatever can be written."""
    for candidate_name in (name, ""):
        try:
            candidate = address(candidate_name, email)
        except (ValueError, TypeError, MessageError):  # a local part it will not take
            continue
        if _writable(candidate):
            return candidate
    return None


def _addresses(value: str) -> list:
    """The addresses of a To/Cc/Reply-To value that the email package rebuilds and writes
    back; the others are left out of the copies' headers."""
    found = []
    for name, email in getaddresses([value]):
        if email.count("@") == 1 and email.isascii() and " " not in email:
            try:
                rebuilt = address(name, email)
            except (ValueError, TypeError, MessageError):  # a local part it will not write
                continue
            if _writable(rebuilt):
                found.append(rebuilt)
    return found


def _strip_attachments(part: Message) -> list:
    """Remove the attachment parts from a received message; returns the removed ones."""
    removed = []
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        kept = []
        for child in part.get_payload():
            if incoming.is_attachment(child) or child.get_content_type() == "message/rfc822":
                removed.append(child)
            else:
                removed += _strip_attachments(child)
                kept.append(child)
        part.set_payload(kept)
    return removed


def _entity_bytes(message: Message) -> bytes:
    """The message's content entity (its Content-* headers and body) as sent."""
    for name in {key.lower() for key in message}:
        if not name.startswith("content-"):
            del message[name]
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False,
                   policy=compat32.clone(linesep="\r\n", max_line_length=0)).flatten(message)
    return buffer.getvalue()


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

        # A post received by e-mail goes out from its sender, with its own body (below).
        original = None
        if post.is_email and post.inbound is not None:
            original = BytesParser(policy=compat32).parsebytes(post.inbound.raw)
        headers = EmailMessage()
        if original is None:
            self._web_addresses(headers, post, mailing_list, list_address)
        else:
            self._received_addresses(headers, post, mailing_list, list_address, original)
        subject = prefixed(post.subject, mailing_list.subject_prefix)
        headers["Subject"] = f"[TEST] {subject}" if test else subject
        headers["Date"] = format_datetime(self._date(post, original))
        headers["Message-ID"] = post.message_id
        # Only ids the email package writes whole (threads.SAFE_MESSAGE_ID); a post
        # stored before ids were checked may carry others.
        if threads.is_safe(post.in_reply_to):
            headers["In-Reply-To"] = post.in_reply_to
        references = " ".join(threads.message_ids(post.references))
        if references:
            headers["References"] = references
        headers["List-Id"] = f"{one_line(mailing_list.display_name)} " \
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
        # The lists the message went through, this one last (Mailman's X-BeenThere): a
        # list finding its own address there drops the message (rules._dropped), so no
        # message goes round between two lists, ours or others'.
        passed = original.get_all("X-BeenThere") or [] if original is not None else []
        for been in passed[:10]:
            been = one_line(str(been))
            if been.isascii() and _SAFE_HEADER_VALUE.fullmatch(been):
                headers["X-BeenThere"] = been
        headers["X-BeenThere"] = list_address
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
        self.html: _Part | None = None
        # The received message's content entity, sent as it came, beside the footer part.
        self.wrapped: bytes | None = None
        self.boundary = f"=_coalition_{secrets.token_hex(16)}"
        if original is not None:
            try:
                self._received_body(post, original, text_footer)
                return
            except Exception:  # a structure the generator cannot write back
                # Every copy would fail with it: send the text we read instead.
                log.exception("post %s: sending its text instead of the message as received",
                              post.id)
                self.wrapped = None
        body = _crlf(post.body).rstrip("\n")
        self.text = _part("text/plain", body, text_footer, "")
        rendered = html_body(post.body, post.body_format)
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

    # --- who it is from and to -------------------------------------------------------------

    @staticmethod
    def _web_addresses(headers: EmailMessage, post: Post, mailing_list: MailingList,
                       list_address: str) -> None:
        """A post written on the web comes from the list on the author's behalf."""
        headers["From"] = address(f"{post.sender_name} via {mailing_list.display_name}",
                                  list_address)
        if mailing_list.reply_to == ReplyTo.LIST:
            headers["Reply-To"] = address(mailing_list.display_name, list_address)
        elif mailing_list.reply_to == ReplyTo.ADDRESS and mailing_list.reply_to_address:
            headers["Reply-To"] = mailing_list.reply_to_address
        else:
            headers["Reply-To"] = address(post.sender_name, post.sender_email)
        if not mailing_list.is_announce:
            headers["To"] = address(mailing_list.display_name, list_address)

    def _received_addresses(self, headers: EmailMessage, post: Post,
                            mailing_list: MailingList, list_address: str,
                            original: Message) -> None:
        """A received post keeps its sender's From, To and Cc, unless the sender's domain
        publishes a strict DMARC policy: then it comes from "Name via List" and the sender
        goes in Reply-To, or in Cc where the list sets Reply-To itself (Mailman's rule)."""
        # The sender's own display name as they wrote it (none if they gave none).
        written = getaddresses([incoming.header_text(original, "From")])
        sender = _sender_address(written[0][0] if written and written[0][1].lower() ==
                                 post.sender_email else post.sender_name, post.sender_email)
        # An internationalised address (RFC 6531) cannot be written in a header the
        # relay may receive without SMTPUTF8: such a sender's copies come from the list,
        # as do those of a sender whose address the email package cannot write.
        reachable = post.sender_email.isascii() and sender is not None
        munged = not reachable or dmarc.is_strict(post.sender_email.rpartition("@")[2])
        if munged:
            headers["From"] = _sender_address(
                f"{post.sender_name} via {mailing_list.display_name}", list_address)
        else:
            headers["From"] = sender
        to = _addresses(incoming.header_text(original, "To")) or \
            [address(mailing_list.display_name, list_address)]
        if not self.personal_to:
            headers["To"] = to
        cc = _addresses(incoming.header_text(original, "Cc"))
        if mailing_list.reply_to == ReplyTo.LIST:
            headers["Reply-To"] = address(mailing_list.display_name, list_address)
        elif mailing_list.reply_to == ReplyTo.ADDRESS and mailing_list.reply_to_address:
            headers["Reply-To"] = mailing_list.reply_to_address
        else:
            reply_to = _addresses(incoming.header_text(original, "Reply-To"))
            if reply_to or (munged and reachable):
                headers["Reply-To"] = reply_to or [sender]
        if munged and reachable and mailing_list.reply_to != ReplyTo.SENDER and not any(
                a.addr_spec.lower() == post.sender_email for a in cc):
            cc.append(sender)
        if cc and not self.personal_to:
            headers["Cc"] = cc
        for name in PASSED_HEADERS:
            value = incoming.header_text(original, name)
            if value and _SAFE_HEADER_VALUE.fullmatch(value):
                headers[name] = value

    @staticmethod
    def _date(post: Post, original: Message | None) -> datetime:
        """When the sender wrote it (their Date header, if readable), else when it went."""
        if original is not None:
            try:
                written = parsedate_to_datetime(incoming.header_text(original, "Date"))
                if written.tzinfo is not None:
                    return written
            except (TypeError, ValueError, IndexError):
                pass
        return post.queued_at or utcnow()

    # --- the received body -------------------------------------------------------------------

    def _received_body(self, post: Post, original: Message, text_footer: str) -> None:
        removed = []
        if post.mailing_list.attachment_policy == AttachmentPolicy.STRIP:
            if original.is_multipart():
                removed = _strip_attachments(original)
            elif incoming.is_attachment(original):  # the whole message was one file
                removed = [original]
                original.set_payload("")
                for name in ("Content-Type", "Content-Disposition",
                             "Content-Transfer-Encoding"):
                    del original[name]
        note = ""
        if removed:
            found = incoming.parse(post.inbound.raw).attachments
            note = incoming.stripped_note(found) + "\n" if found else ""
        if not original.is_multipart() and original.get_content_type() == "text/plain" \
                and not incoming.is_attachment(original):
            text, exact = incoming.part_text(original)
            if note:  # the whole message was a file, now gone
                text = (_crlf(text).rstrip("\n") + "\n\n" + note).lstrip("\n")
            if exact:
                flowed = (original.get_param("format") or "").lower() == "flowed"
                delsp = (original.get_param("delsp") or "").lower() == "yes"
                content_type = "text/plain" + ("; format=flowed" if flowed else "") + (
                    "; delsp=yes" if flowed and delsp else "")
                self.text = _part(content_type, _crlf(text).rstrip("\n"),
                                  text_footer, "")
                return
        self.wrapped = _entity_bytes(original)
        self.text = _part("text/plain", "", note + text_footer.lstrip("\n"), "")

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
        if self.wrapped is not None:
            boundary = self.boundary.encode()
            lines += [b'Content-Type: multipart/mixed; boundary="', boundary,
                      b'"\r\n\r\n--', boundary, b"\r\n", self.wrapped,
                      b"\r\n--", boundary, b"\r\n",
                      self.text.render(unsubscribe, escape=False),
                      b"\r\n--", boundary, b"--\r\n"]
        elif self.html is None:
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
