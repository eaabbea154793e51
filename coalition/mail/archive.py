"""The archive: what was sent to a list, by month, by thread and by search, each message as
the reader may see it, its attachments, a month as an mbox file, and replies from the web.

A post is in the archive once it was sent (status queued). Who reads a list's archive is
decided by queries.can_read_archive (public; members and focal contacts; focal contacts
only). Addresses are a spammer's harvest: whoever is not a member or a focal contact sees
them shortened to "j…@example.org", in the sender, the subject, the body and the mbox."""

from __future__ import annotations

import mailbox
import re
import tempfile
import time
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coalition.audit import services as audit
from coalition.auth.models import Actor, User
from coalition.db import utcnow
from coalition.errors import PermissionDenied
from coalition.extensions import db
from coalition.mail import posting, queries, search, services, threads
from coalition.mail.messages import one_line
from coalition.mail.models import (
    Attachment,
    InboundMessage,
    MailingList,
    Post,
    PostFormat,
    PostSource,
    PostStatus,
)
from coalition.mail.rendering import html_body
from coalition.pagination import Page, paginate
from coalition.urls import external_url

POSTS_PAGE = 50
THREADS_PAGE = 25
SEARCH_PAGE = 20
LATEST_THREADS = 10
SNIPPET = 240  # characters of a search result's body shown around the first match

# --- who sees what -----------------------------------------------------------------------

def can_read(actor: Actor | None, mailing_list: MailingList) -> bool:
    return queries.can_read_archive(actor, mailing_list)


def reveals_addresses(actor: Actor | None) -> bool:
    """Members and focal contacts see addresses as written; everyone else shortened."""
    return services.can_manage(actor) or services.member_of(actor) is not None


def can_reply(actor: Actor | None, mailing_list: MailingList) -> bool:
    """A signed-in member (or focal contact) who reads the archive may answer a message of
    a discussion list; announcement lists take no replies (no List-Post), archived lists
    take nothing. Whether the reply goes out at once or waits for a moderator is
    services.can_post's question."""
    if mailing_list.is_announce or mailing_list.is_archived:
        return False
    if not reveals_addresses(actor):
        return False
    return can_read(actor, mailing_list)


# --- addresses and bodies ----------------------------------------------------------------

# Any letters (an internationalised domain, RFC 6531, is shortened like any other).
_ADDRESS = re.compile(r"(?<![\w.+-])([\w.+-]+)@((?:[^\W_]|-)+(?:\.(?:[^\W_]|-)+)+)")
# http(s) links in plain text; the trailing punctuation of a sentence is not the link's.
_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""


def _short(match: re.Match) -> str:
    return f"{match.group(1)[:1]}…@{match.group(2)}"


def obfuscate(value: str) -> str:
    """Every e-mail address in `value` shortened to its first letter and its domain."""
    return _ADDRESS.sub(_short, value or "")


def shown(value: str, reveal: bool) -> str:
    return value if reveal else obfuscate(value)


def sender(post: Post, reveal: bool) -> str:
    """Who wrote it, as the reader may see it: the name, else the (shortened) address."""
    return shown(post.sender_name or post.sender_email, reveal)


def _link(url: str) -> Markup:
    return Markup('<a href="{0}" rel="nofollow ugc noopener">{0}</a>').format(url)


def text_html(body: str, reveal: bool) -> Markup:
    """Plain text made safe for a page: everything escaped, http(s) links made clickable
    (nofollow: the archive vouches for none of them), addresses shortened unless shown."""
    body = shown(body, reveal)
    parts: list[Markup | str] = []
    position = 0
    for match in _URL.finditer(body):
        url = match.group(0)
        trimmed = url.rstrip(_TRAILING)
        # A closing bracket that closes one opened inside the link stays (Wikipedia links).
        while trimmed != url and url[len(trimmed)] == ")" and trimmed.count("(") > \
                trimmed.count(")"):
            trimmed = url[:len(trimmed) + 1]
        parts.append(escape(body[position:match.start()]))
        parts.append(_link(trimmed))
        position = match.start() + len(trimmed)
    parts.append(escape(body[position:]))
    return Markup("").join(parts)


def body_html(post: Post, reveal: bool) -> tuple[str, bool]:
    """The message body for the page, and whether it is the HTML markdown-it made (the
    template marks it safe: raw HTML is off) rather than escaped text to show
    preformatted. A message received by e-mail is always its text: the sender's HTML
    is never shown."""
    if post.source == PostSource.WEB and post.body_format == PostFormat.MARKDOWN:
        # Shortened before rendering, so an <address> autolink is no link any more.
        return html_body(shown(post.body, reveal), post.body_format) or "", True
    return text_html(post.body, reveal), False


# --- what is in the archive ----------------------------------------------------------------

def _archived(mailing_list: MailingList):
    return select(Post).where(Post.list_id == mailing_list.id,
                              Post.status == PostStatus.QUEUED)


def _thread_key():
    # Posts sent before threads existed start their own.
    return func.coalesce(Post.thread_id, Post.id)


def _queued_utc():
    if db.session.get_bind().dialect.name == "postgresql":
        return func.timezone("UTC", Post.queued_at)  # extract() reads the session's zone
    return Post.queued_at


def archived_post(mailing_list: MailingList, post_id: int) -> Post | None:
    post = db.session.get(Post, post_id)
    if post is None or post.list_id != mailing_list.id or post.status != PostStatus.QUEUED:
        return None
    return post


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    count: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def label(self) -> str:
        return self.start.strftime("%B %Y")


def months(mailing_list: MailingList) -> list[Month]:
    """The months with messages, newest first, with how many."""
    year = func.extract("year", _queued_utc())
    month = func.extract("month", _queued_utc())
    rows = db.session.execute(
        select(year, month, func.count()).where(Post.list_id == mailing_list.id,
                                                Post.status == PostStatus.QUEUED)
        .group_by(year, month).order_by(year.desc(), month.desc()))
    return [Month(int(y), int(m), count) for y, m, count in rows]


def month_range(year: int, month: int) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's (ValueError for no such month)."""
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    monthrange(year, month)
    return start, end


def _in_month(query, year: int, month: int):
    start, end = month_range(year, month)
    return query.where(Post.queued_at >= start, Post.queued_at < end)


def month_posts(mailing_list: MailingList, year: int, month: int, page: int = 1) -> Page:
    """The month's messages by date, oldest first (as a mailbox reads)."""
    query = _in_month(_archived(mailing_list), year, month)
    return paginate(query.order_by(Post.queued_at, Post.id), page, POSTS_PAGE)


@dataclass
class Node:
    """A post in a thread and the replies to it."""

    post: Post
    children: list[Node] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + sum(child.size for child in self.children)


def _trees(mailing_list: MailingList, keys: list[int]) -> dict[int, Node]:
    """The threads whose first post is in `keys`, as trees, by that first post's id."""
    if not keys:
        return {}
    posts = db.session.scalars(_archived(mailing_list).where(_thread_key().in_(keys))
                               .options(selectinload(Post.attachments))  # counted on pages
                               .order_by(Post.queued_at, Post.id)).all()
    nodes = {post.id: Node(post) for post in posts}
    roots: dict[int, Node] = {}
    for post in posts:
        key = post.thread_id or post.id
        if post.id == key:
            roots[key] = nodes[post.id]
    for post in posts:
        key = post.thread_id or post.id
        if post.id == key:
            continue
        # A reply whose parent is not in the archive hangs from the thread's first post.
        parent = nodes.get(post.parent_id) or roots.get(key)
        if parent is not None:
            parent.children.append(nodes[post.id])
    return roots


def thread(mailing_list: MailingList, thread_id: int) -> Node | None:
    return _trees(mailing_list, [thread_id]).get(thread_id)


@dataclass(frozen=True)
class ThreadSummary:
    root: Post
    count: int
    last_at: datetime


def _summaries(mailing_list: MailingList, query) -> list[ThreadSummary]:
    rows = db.session.execute(query).all()
    roots = {post.id: post for post in db.session.scalars(
        select(Post).where(Post.id.in_([row[0] for row in rows])))}
    return [ThreadSummary(roots[key], count, last) for key, count, last in rows
            if key in roots]


def latest_threads(mailing_list: MailingList, limit: int = LATEST_THREADS
                   ) -> list[ThreadSummary]:
    """The threads with the newest messages, with how many each has."""
    key = _thread_key()
    last = func.max(Post.queued_at)
    query = (select(key, func.count(), last)
             .where(Post.list_id == mailing_list.id, Post.status == PostStatus.QUEUED)
             .group_by(key).order_by(last.desc(), key.desc()).limit(limit))
    return _summaries(mailing_list, query)


def month_threads(mailing_list: MailingList, year: int, month: int, page: int = 1
                  ) -> tuple[Page, list[Node]]:
    """The threads with messages in the month, latest activity first, each whole."""
    key = _thread_key()
    query = (_in_month(select(key).where(Post.list_id == mailing_list.id,
                                         Post.status == PostStatus.QUEUED), year, month)
             .group_by(key).order_by(func.max(Post.queued_at).desc(), key.desc()))
    found = paginate(query, page, THREADS_PAGE)
    trees = _trees(mailing_list, list(found.items))
    return found, [trees[k] for k in found.items if k in trees]


def neighbours(post: Post) -> tuple[Post | None, list[Post]]:
    """The post this one answers and the answers to it (in the archive)."""
    parent = db.session.get(Post, post.parent_id) if post.parent_id else None
    if parent is not None and parent.status != PostStatus.QUEUED:
        parent = None
    replies = list(db.session.scalars(
        select(Post).where(Post.parent_id == post.id, Post.status == PostStatus.QUEUED)
        .order_by(Post.queued_at, Post.id)))
    return parent, replies


# --- search ------------------------------------------------------------------------------

def search_posts(mailing_list: MailingList, query: str, page: int = 1
                 ) -> tuple[list[str], Page]:
    """The archived posts containing every word of `query` (in the subject, the sender's
    name or the body), best first."""
    words = search.terms(query)
    if not words:
        return words, Page(items=[], page=1, pages=1, total=0)
    dialect = db.session.get_bind().dialect.name
    return words, paginate(search.ranked(_archived(mailing_list), words, dialect), page,
                           SEARCH_PAGE)


def snippet(post: Post, words: list[str], reveal: bool) -> str:
    """A piece of the body around the first word found, for a search result."""
    body = " ".join(shown(post.body, reveal).split())
    folded = search.fold(body)
    # fold() keeps one character per letter for the accents it drops, so positions match
    # closely enough for a snippet; clamp in case they do not.
    hits = [folded.find(word) for word in words if folded.find(word) >= 0]
    start = max(0, min(hits, default=0) - SNIPPET // 3)
    start = min(start, len(body))
    piece = body[start:start + SNIPPET]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(body) else "")


# --- attachments -------------------------------------------------------------------------

# Types a browser shows rather than runs: served as declared. Anything else (text/html,
# image/svg+xml, XML, scripts...) is served as application/octet-stream. Every file is a
# download (Content-Disposition: attachment) with nosniff, whatever its type.
HARMLESS_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp",
    "text/plain", "text/csv", "text/calendar", "application/zip",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "audio/mpeg", "audio/ogg", "video/mp4", "application/rtf",
}
HARMLESS_PREFIXES = ("application/vnd.openxmlformats-officedocument.",
                     "application/vnd.oasis.opendocument.")
# The first bytes of the types a browser would open by itself: a file claiming one of
# these without them is not what it says.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
OCTET_STREAM = "application/octet-stream"


def attachment(post: Post, position: int) -> Attachment | None:
    return db.session.scalar(select(Attachment).where(Attachment.post_id == post.id,
                                                      Attachment.position == position))


def served_type(item: Attachment) -> str:
    """The Content-Type to serve the file with."""
    declared = (item.content_type or "").split(";")[0].strip().lower()
    if declared not in HARMLESS_TYPES and not declared.startswith(HARMLESS_PREFIXES):
        return OCTET_STREAM
    signatures = SIGNATURES.get(declared)
    if signatures and not item.data.startswith(signatures):
        return OCTET_STREAM
    if declared.startswith("text/"):
        return f"{declared}; charset=utf-8" if _utf8(item.data) else OCTET_STREAM
    return declared


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- the mbox ------------------------------------------------------------------------------

def _message_from_archive(post: Post, mailing_list: MailingList, reveal: bool
                          ) -> EmailMessage:
    """A post as an e-mail built from what the archive keeps: web posts always; e-mail
    posts for readers who may not see addresses (their raw message is full of them)."""
    message = EmailMessage()
    address = queries.address(mailing_list)
    if reveal:
        message["From"] = f'"{_quoted(post.sender_name)}" <{post.sender_email}>' \
            if post.sender_name else post.sender_email
    else:
        # The sender's address is what is hidden: the message comes "via" the list, as
        # lists rewrite senders for DMARC.
        name = sender(post, False)
        message["From"] = f'"{_quoted(name)} via {_quoted(mailing_list.display_name)}" ' \
                          f"<{address}>"
    message["To"] = address
    message["Subject"] = shown(post.subject, reveal)
    message["Date"] = format_datetime(post.queued_at or post.created_at)
    # Only ids the email package writes whole: a post stored before received ids were
    # checked may carry one it cannot write (non-ASCII), which would fail the whole mbox.
    if threads.is_safe(post.message_id):
        message["Message-ID"] = post.message_id
    else:
        message["Message-ID"] = f"<archive-{post.id}@{current_app.config['MAIL_DOMAIN']}>"
    if threads.is_safe(post.in_reply_to):
        message["In-Reply-To"] = post.in_reply_to
    references = " ".join(threads.message_ids(post.references))
    if references:
        message["References"] = references
    message["Archived-At"] = "<{}>".format(external_url(
        "lists.archived_post", name=mailing_list.name, post_id=post.id))
    body = shown(post.body, reveal)
    message.set_content(body if body.endswith("\n") else body + "\n")
    if post.source == PostSource.WEB and post.body_format == PostFormat.MARKDOWN:
        message.add_alternative(html_body(body, post.body_format) or "", subtype="html")
    for item in post.attachments:
        maintype, _, subtype = served_type(item).split(";")[0].partition("/")
        message.add_attachment(item.data, maintype=maintype, subtype=subtype,
                               filename=item.filename)
    return message


def _quoted(value: str) -> str:
    return one_line(value).replace("\\", "\\\\").replace('"', '\\"')


def _envelope_sender(post: Post, mailing_list: MailingList, reveal: bool) -> str:
    if reveal and post.sender_email:
        return post.sender_email
    return queries.address(mailing_list)


def mbox(mailing_list: MailingList, year: int, month: int, reveal: bool) -> bytes:
    """The month's messages, oldest first, as an mbox file (mboxrd-style "From " lines
    and ">From" quoting by Python's mailbox module). Readers who see addresses get each
    e-mail post as it was received; others get every message rebuilt from the archive
    with addresses shortened (see _message_from_archive)."""
    # What each message is built from, in two queries rather than three per message.
    loads = (selectinload(Post.inbound).undefer(InboundMessage.raw) if reveal else
             selectinload(Post.attachments).undefer(Attachment.data))
    posts = db.session.scalars(_in_month(_archived(mailing_list), year, month)
                               .options(loads).order_by(Post.queued_at, Post.id)).all()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "archive.mbox"
        box = mailbox.mbox(str(path), create=True)
        try:
            box.lock()
            for post in posts:
                raw = post.inbound.raw if reveal and post.inbound is not None else None
                if raw is not None:
                    message = mailbox.mboxMessage(raw)
                else:
                    message = mailbox.mboxMessage(
                        _message_from_archive(post, mailing_list, reveal).as_bytes(
                            policy=SMTP.clone(linesep="\n")))
                sent = post.queued_at or post.created_at
                message.set_from(_envelope_sender(post, mailing_list, reveal),
                                 time.gmtime(sent.timestamp()))
                box.add(message)
            box.flush()
        finally:
            box.unlock()
            box.close()
        return path.read_bytes()


# --- replies from the web ------------------------------------------------------------------

def reply_subject(parent: Post) -> str:
    subject = one_line(parent.subject)
    if re.match(r"(?i)re\s*:", subject):
        return subject[:posting.MAX_SUBJECT]
    return f"Re: {subject}"[:posting.MAX_SUBJECT]


def quoted_body(parent: Post) -> str:
    """The parent's text, quoted as mail programs do, under a line saying who wrote it."""
    when = (parent.queued_at or parent.created_at).strftime("%d %b %Y %H:%M UTC")
    who = parent.sender_name or parent.sender_email
    lines = parent.body.replace("\r\n", "\n").strip("\n").split("\n")
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"On {when}, {who} wrote:\n{quoted}\n\n"


@dataclass(frozen=True)
class Reply:
    post: Post
    sent: bool  # False: held for a moderator


def reply(actor: Actor, parent: Post, subject: str, body: str,
          now: datetime | None = None) -> Reply:
    """A reply from the web to an archived post: it goes to the list at once when the
    person's standing on the list lets it (posting.web_decision), else it waits for a
    moderator. Raises ValidationError for a bad subject or body or a sender a moderator
    blocked (nothing kept), PermissionDenied if the person may not reply."""
    mailing_list = parent.mailing_list
    if not isinstance(actor, User) or not can_reply(actor, mailing_list):
        raise PermissionDenied("You cannot reply to this list from the archive.")
    if parent.status != PostStatus.QUEUED:
        raise PermissionDenied("This message is not in the archive.")
    subject, body, body_format = posting._check(posting.PostInput(
        subject=subject, body=body, body_format=PostFormat.TEXT.value))
    # The same standing as by e-mail: a blocked sender is refused, a moderated one held.
    action, reason = posting.web_decision(actor, mailing_list)
    posting.refuse_blocked(action)
    now = now or utcnow()
    post = Post(mailing_list=mailing_list, author_id=actor.id, sender_name=actor.name,
                sender_email=actor.email, subject=subject, body=body, body_format=body_format,
                status=PostStatus.DRAFT.value, source=PostSource.WEB.value,
                in_reply_to=parent.message_id,
                references=threads.references_for_reply(parent),
                message_id=make_msgid(domain=current_app.config["MAIL_DOMAIN"]))
    db.session.add(post)
    audit.record(actor, "create", post,
                 audit.diff({}, audit.snapshot(post, posting.POST_AUDITED)),
                 summary=f"reply to post {parent.id} from the archive")
    return Reply(post, posting.go_out(actor, post, action, reason, now) is not None)
