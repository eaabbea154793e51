"""Reading a message received by e-mail: who sent it, its threading headers, its text and
its attachments.

Whatever arrives is read, never refused: a broken MIME structure, a charset nobody knows,
a header line of 100 KB or no headers at all give a result with the problems noted in
`defects`. The message is parsed with the `email` package's modern policy; where that
policy's header parser gives up on something, the same bytes are read again with the
lenient compat32 policy.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import getaddresses, make_msgid
from html.parser import HTMLParser

from flask import current_app, has_app_context

from coalition.mail import threads

log = logging.getLogger(__name__)

MAX_SUBJECT = 300  # Post.subject
MAX_MESSAGE_ID = 250  # Post.message_id, in_reply_to
MAX_REFERENCES = 20  # ids kept from References: the first and the latest (RFC 5322 3.6.4)
MAX_ATTACHMENTS = 50
# The modern header parser takes time that grows faster than the header: a message with
# a header longer than this (RFC 5322 lines stop at 998 characters) is read leniently.
MAX_HEADER_CHARS = 16_000
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


@dataclass
class IncomingAttachment:
    filename: str
    content_type: str  # as declared; never trusted to say what the bytes are
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Incoming:
    sender_email: str  # lower-cased; "" when the message names nobody
    sender_name: str
    subject: str
    message_id: str
    message_id_made: bool  # the message had none we could use; this one is ours
    in_reply_to: str | None
    references: str | None
    list_id: str
    auto_submitted: str
    precedence: str
    x_loop: list[str]
    been_there: list[str]  # X-BeenThere: each list the message went through
    content_type: str
    size: int
    text: str
    attachments: list[IncomingAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def sender_domain(self) -> str:
        return self.sender_email.rpartition("@")[2]


# --- headers --------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def repaired(text: str) -> str:
    """Text that can be written out again: raw 8-bit bytes in a header (which the parser
    keeps as surrogates) read as UTF-8, else as Windows-1252, the usual culprit."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    data = text.encode("utf-8", errors="surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def header_line(value: str) -> str:
    """Header text on one line, without control characters (PostgreSQL refuses NUL) or
    raw bytes."""
    return " ".join(_CONTROL.sub("", repaired(value)).split())


def _clean_text(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class _Headers:
    """Header values as text, from the modern parse or, where it fails, the lenient one."""

    def __init__(self, modern: Message, lenient: Message, defects: list[str]):
        self.modern, self.lenient, self.defects = modern, lenient, defects

    def get(self, name: str) -> str:
        try:
            value = self.modern.get(name)
            text = "" if value is None else header_line(str(value))
            # The modern parser writes raw 8-bit bytes of an address header as U+FFFD;
            # the lenient reading keeps them, and _decoded makes them letters again.
            return self._lenient(name) if "\ufffd" in text else text
        except Exception as error:  # a header the modern parser cannot read
            self.defects.append(f"{name}: {type(error).__name__}")
        return self._lenient(name)

    def get_all(self, name: str) -> list[str]:
        try:
            values = [header_line(str(value)) for value in self.modern.get_all(name) or []]
            if not any("\ufffd" in value for value in values):
                return values
        except Exception as error:
            self.defects.append(f"{name}: {type(error).__name__}")
        return [header_line(_decoded(value)) for value in self.lenient.get_all(name) or []]

    def _lenient(self, name: str) -> str:
        value = self.lenient.get(name)
        return "" if value is None else header_line(_decoded(value))


def _decoded(value) -> str:
    """An RFC 2047 header value as text, whatever its charsets claim (the start of it, for
    a huge one); raw 8-bit bytes, which some mail programs still send, read as UTF-8, else
    as Windows-1252."""
    try:
        parts = decode_header(value if isinstance(value, Header)
                              else str(value)[:MAX_HEADER_CHARS])
        return str(make_header([
            (data, _guess(data) if isinstance(data, bytes) and charset in
             (None, "unknown-8bit") else charset) for data, charset in parts]))
    except Exception:
        return str(value).encode("ascii", "replace").decode("ascii") \
            if isinstance(value, str) else ""


def _guess(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "windows-1252"


def header_text(message: Message, name: str) -> str:
    """A header of a leniently parsed message as one line of text ("" if absent)."""
    value = message.get(name)
    return "" if value is None else header_line(_decoded(value))


# What marks a message as sent by a program (RFC 3834, and the older Precedence). Such a
# message is never answered, or two programs could answer each other for ever, and is
# never posted. `Precedence: list` is on every list's copies: it makes a message
# automatic for the command address, not for the post address (a member forwarding from
# another list writes a real message; our own copies are caught by our List-Id).
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "auto-reply"})
# Mail servers' own addresses: their messages are reports, never posts or commands.
MAIL_DAEMONS = frozenset({"mailer-daemon", "postmaster"})


def automatic(auto_submitted: str, precedence: str, list_counts: bool) -> str | None:
    """Why the headers say a program sent the message, or None."""
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return f"an automatic message (Auto-Submitted: {auto_submitted})"
    precedence = precedence.strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE or (list_counts and precedence == "list"):
        return f"an automatic message (Precedence: {precedence})"
    return None


def from_mail_system(sender: str, mail_from: str) -> str | None:
    """Why the envelope or the sender says a mail server sent the message, or None."""
    envelope = (mail_from or "").strip().strip("<>")
    if not envelope:
        return ("the envelope sender is empty (a mail server's notice, which is never "
                "answered)")
    if {envelope.partition("@")[0].lower(), sender.partition("@")[0].lower()} & MAIL_DAEMONS:
        return "a message from a mail server (mailer-daemon or postmaster)"
    return None


def stripped_note(attachments: list[IncomingAttachment]) -> str:
    """What readers see where the list removed attachments (as Mailman says so too)."""
    names = ", ".join(f"{a.filename} ({(a.size + 1023) // 1024:,} KB)" for a in attachments)
    return f"[The list removed {len(attachments)} attachment(s): {names}]"


def first_address(values: list[str]) -> tuple[str, str]:
    """The first usable (name, address) among header values."""
    for name, address in getaddresses(values):
        address = address.strip().strip("<>")
        local, at, domain = address.rpartition("@")
        if at and local and "." in domain and not any(c.isspace() for c in address):
            return header_line(name), address.lower()
    return "", ""


def _message_id(value: str) -> str | None:
    """The sender's id if it is one we can write back safely (threads.SAFE_MESSAGE_ID);
    else None, and the post gets an id of ours: an id the `email` package cannot write
    would stop its copies, and one it writes cut short would break threading."""
    found = threads.message_ids(value)
    if found and len(found[0]) <= MAX_MESSAGE_ID:
        return found[0]
    return None


def _new_message_id() -> str:
    domain = current_app.config["MAIL_DOMAIN"] if has_app_context() else "coalition.invalid"
    return make_msgid(domain=domain)


def _references(value: str) -> str | None:
    ids = [i for i in threads.message_ids(value) if len(i) <= MAX_MESSAGE_ID]
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1):]]
    return " ".join(ids) or None


# --- body -------------------------------------------------------------------------------

def decode_text(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Bytes as text with their declared charset; returns (text, exact). An unknown charset,
    or bytes the charset does not describe, decode with replacement characters."""
    codec = None
    if charset:
        try:
            codec = codecs.lookup(charset.strip().strip('"').lower()).name
            # Some codecs (rot13, base64, zlib…) are not text encodings at all.
            if not getattr(codecs.lookup(codec), "_is_text_encoding", True):
                codec = None
        except (LookupError, AttributeError):
            codec = None
    if codec is not None:
        try:
            return data.decode(codec), True
        except (UnicodeDecodeError, ValueError):
            return data.decode(codec, errors="replace"), False
        except Exception:  # a codec that fails in its own way
            codec = None
    try:
        return data.decode("utf-8"), charset is None or charset.lower() in ("us-ascii", "ascii")
    except UnicodeDecodeError:
        return data.decode("windows-1252", errors="replace"), False


def payload_bytes(part: Message) -> bytes:
    """A leaf part's bytes with its transfer encoding undone; a broken encoding gives the
    bytes as they came."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def part_text(part: Message) -> tuple[str, bool]:
    """A leaf part's content as text (transfer encoding undone, then the charset)."""
    data = payload_bytes(part)
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_text(data, charset)


class _TextFromHTML(HTMLParser):
    """The words of an HTML part: scripts, styles and markup gone, blocks on their lines."""

    SKIP = {"script", "style", "head", "title", "template", "noscript"}
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
             "pre", "table", "ul", "ol", "hr", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.chunks.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextFromHTML()
    try:
        parser.feed(markup)
        parser.close()
    except Exception as error:  # html.parser is lenient; what it read so far is the text
        log.info("HTML part read in part: %r", error)
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        try:
            name = part.get_param("name")
        except Exception:
            name = None
        if isinstance(name, tuple):  # an RFC 2231 value
            name = name[2]
    return None if name is None else _decoded(name)


def is_attachment(part: Message) -> bool:
    """A part that is a file rather than the message's text: one with a file name, or
    marked as an attachment."""
    return _disposition(part) == "attachment" or bool(_filename(part))


def sanitise_filename(name: str, position: int, content_type: str) -> str:
    """A file name safe to save and to put in a header: no directories, no control or
    reserved characters, not hidden, not empty, at most 255 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name)
    name = " ".join(name.split()).lstrip(". ")
    if not name:
        import mimetypes

        name = f"attachment-{position}{mimetypes.guess_extension(content_type) or '.bin'}"
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:20] if dot else ""
        name = (stem if dot else name)[:255 - len(extension) - 1] + (
            f".{extension}" if extension else "")
    return name


_CONTENT_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{1,127}/[a-z0-9!#$&^_.+-]{1,127}")


def _content_type(part: Message) -> str:
    """The declared type/subtype, lower-case; anything that is not a plain token pair
    (a NUL, which PostgreSQL refuses, a quote, a space) reads as application/octet-stream."""
    try:
        content_type = part.get_content_type()
    except Exception:
        return "application/octet-stream"
    if not isinstance(content_type, str) or not _CONTENT_TYPE.fullmatch(content_type):
        return "application/octet-stream"
    return content_type


def _attachment_bytes(part: Message) -> bytes:
    if part.is_multipart():  # an attached message or a multipart marked as a file
        try:
            inner = part.get_payload(0) if _content_type(part) == "message/rfc822" else part
            return inner.as_bytes(policy=compat32)
        except Exception:
            return b""
    return payload_bytes(part)


def leaves(message: Message) -> list[tuple[Message, bool]]:
    """Every part in order, as (part, is_attachment); an attached message (or any part
    marked as a file) counts as one part and is not opened."""
    found: list[tuple[Message, bool]] = []

    def visit(part: Message, depth: int) -> None:
        attached = is_attachment(part)
        if depth and attached:
            found.append((part, True))
        elif part.is_multipart() and depth < 30:
            if _content_type(part) == "message/rfc822" and depth:
                found.append((part, True))
                return
            payload = part.get_payload()
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, Message):
                    visit(child, depth + 1)
        else:
            found.append((part, attached))

    visit(message, 0)
    return found


def _body(message: Message, defects: list[str]) -> tuple[str, list[IncomingAttachment]]:
    parts = leaves(message)
    body_part = None
    for wanted in ("text/plain", "text/html"):
        body_part = next((p for p, attached in parts
                          if not attached and _content_type(p) == wanted), None)
        if body_part is not None:
            break
    if body_part is None:
        # A multipart without a boundary (or with an unknown text type) is still someone's
        # words: read the first such part as text rather than lose them.
        body_part = next((p for p, attached in parts if not attached
                          and _content_type(p).split("/")[0] in ("text", "multipart")), None)
    text = ""
    if body_part is not None:
        text, exact = part_text(body_part)
        if not exact:
            defects.append("text not in its declared charset: decoded with replacements")
        if _content_type(body_part) == "text/html":
            text = html_to_text(text)
    attachments: list[IncomingAttachment] = []
    for part, attached in parts:
        if not attached or part is body_part:
            continue
        if len(attachments) >= MAX_ATTACHMENTS:
            defects.append(f"more than {MAX_ATTACHMENTS} attachments: the rest ignored")
            break
        content_type = _content_type(part)
        attachments.append(IncomingAttachment(
            filename=sanitise_filename(_filename(part) or "", len(attachments) + 1,
                                       content_type),
            content_type=content_type[:255], data=_attachment_bytes(part)))
    return text, attachments


def _max_body() -> int:
    from coalition.mail.posting import MAX_BODY

    return MAX_BODY


def read(raw: bytes) -> tuple[Message, Message, list[str]]:
    """The message read by the modern parser (typed headers) where it can, and by the
    lenient one, which never fails; and what went wrong. A message with a huge header in
    any part is read leniently only: the modern parser's time grows with the square of a
    header's length (20 s for 1.5 MB), which would let one message hold a thread for
    hours."""
    defects: list[str] = []
    lenient = message_from_bytes(raw, policy=compat32)
    if any(len(str(value)) > MAX_HEADER_CHARS
           for part in lenient.walk() for value in part.values()):
        defects.append(f"a header longer than {MAX_HEADER_CHARS:,} characters: read leniently")
        return lenient, lenient, defects
    try:
        return message_from_bytes(raw, policy=default_policy), lenient, defects
    except Exception as error:  # the modern parser gave up: the lenient one never does
        defects.append(f"parsed leniently: {type(error).__name__}")
        return lenient, lenient, defects


def message_text(message: Message) -> str:
    """The readable text of a message (its first plain-text part, else its HTML as text),
    however it was read; "" if it has none."""
    try:
        text, _ = _body(message, [])
    except Exception:  # modern header objects failed inside the body
        return ""
    return _clean_text(text)


def parse(raw: bytes, envelope_sender: str = "") -> Incoming:
    """The message's parts we use; never raises for anything a sender can send."""
    modern, lenient, defects = read(raw)
    for part in (modern.walk() if modern.is_multipart() else [modern]):
        defects.extend(type(defect).__name__ for defect in getattr(part, "defects", []))
    headers = _Headers(modern, lenient, defects)

    name, sender = first_address(headers.get_all("From"))
    if not sender:
        name, sender = first_address(headers.get_all("Sender"))
    if not sender:
        name, sender = first_address([envelope_sender])
    subject = headers.get("Subject")[:MAX_SUBJECT].rstrip()
    message_id = _message_id(headers.get("Message-ID"))
    in_reply_to = next(iter(threads.message_ids(headers.get("In-Reply-To"))), None)
    if in_reply_to and len(in_reply_to) > MAX_MESSAGE_ID:
        in_reply_to = None

    try:
        text, attachments = _body(modern, defects)
    except Exception as error:  # modern header objects failed inside the body: read again
        defects.append(f"body read leniently: {type(error).__name__}")
        log.info("reading a message's body leniently: %r", error)
        text, attachments = _body(lenient, defects)
    text = _clean_text(text)
    if len(text) > _max_body():
        defects.append("text truncated")
        text = text[:_max_body()]

    return Incoming(
        sender_email=sender, sender_name=name[:200], subject=subject,
        message_id=message_id or _new_message_id(), message_id_made=message_id is None,
        in_reply_to=in_reply_to, references=_references(headers.get("References")),
        list_id=headers.get("List-Id"),
        auto_submitted=headers.get("Auto-Submitted").lower(),
        precedence=headers.get("Precedence").lower(),
        x_loop=[value.lower() for value in headers.get_all("X-Loop")],
        been_there=[value.lower() for value in headers.get_all("X-BeenThere")],
        content_type=_content_type(lenient), size=len(raw), text=text,
        attachments=attachments, defects=list(dict.fromkeys(defects)))
