"""Threads: a post answers the newest post of the same list it names in In-Reply-To or
References (as mail programs and HyperKitty thread), and belongs to that post's thread; a
post that answers nothing known starts a thread of its own."""

from __future__ import annotations

import re

from sqlalchemy import or_, select, update

from coalition.extensions import db
from coalition.mail.models import Post, PostStatus

# A message id we read, write back and thread by: printable ASCII without the characters
# that end or quote a header token ( ) " \ , : ; < > @ [ ], space), one @ in the middle. The
# `email` package writes a non-ASCII id not at all (the whole copy fails) and one with
# those characters cut short (`<a` for `<a,b@x>`), so any other id counts as none.
_ID_TEXT = r"[!#-'*+\-./0-9=?A-Z^-~]+"
# "=?" would start an encoded word, which the parser decodes in In-Reply-To/References.
SAFE_MESSAGE_ID = re.compile(rf"<(?![^>]*=\?){_ID_TEXT}@{_ID_TEXT}>")
_MESSAGE_ID = re.compile(r"<[^<>]*>")


def is_safe(message_id: str | None) -> bool:
    return bool(message_id) and SAFE_MESSAGE_ID.fullmatch(message_id) is not None


def message_ids(value: str | None) -> list[str]:
    """The `<id@host>` tokens of an In-Reply-To or References header, in order; tokens
    that are not safe ids (see SAFE_MESSAGE_ID) are left out."""
    return [found for found in _MESSAGE_ID.findall(value or "") if is_safe(found)]


def references_for_reply(parent: Post) -> str:
    """The References header of a reply to `parent`: its own References, then its id."""
    ids = message_ids(parent.references) or message_ids(parent.in_reply_to)
    return " ".join([*ids, parent.message_id])


def link(post: Post) -> None:
    """Set the post's parent and thread from its In-Reply-To and References headers.
    The post must have an id (flushed)."""
    wanted = [*reversed(message_ids(post.in_reply_to)),
              *reversed(message_ids(post.references))]
    parent = None
    if wanted:
        found = {p.message_id: p for p in db.session.scalars(select(Post).where(
            Post.list_id == post.list_id, Post.message_id.in_(wanted),
            Post.status == PostStatus.QUEUED, Post.id != post.id))}
        parent = next((found[m] for m in wanted if m in found), None)
    if parent is None:
        post.parent_id = None
        post.thread_id = post.id
    else:
        post.parent_id = parent.id
        post.thread_id = parent.thread_id or parent.id


def adopt_replies(post: Post) -> int:
    """Replies that went out before the post they answer (it was held for moderation, or
    arrived late) started threads of their own: now that `post` is in the archive, they
    and their threads join its thread. Returns how many replies moved."""
    candidates = db.session.scalars(select(Post).where(
        Post.list_id == post.list_id, Post.status == PostStatus.QUEUED,
        Post.parent_id.is_(None), Post.id != post.id,
        or_(Post.in_reply_to == post.message_id,
            Post.references.contains(post.message_id, autoescape=True))))
    moved = 0
    for reply in candidates:
        if post.message_id not in [*message_ids(reply.in_reply_to),
                                   *message_ids(reply.references)]:
            continue
        old_thread = reply.thread_id or reply.id
        reply.parent_id = post.id
        db.session.execute(update(Post).where(Post.thread_id == old_thread)
                           .values(thread_id=post.thread_id)
                           .execution_options(synchronize_session="fetch"))
        moved += 1
    return moved
