"""Threads: a post answers the newest post of the same list it names in In-Reply-To or
References (as mail programs and HyperKitty thread), and belongs to that post's thread; a
post that answers nothing known starts a thread of its own."""

from __future__ import annotations

import re

from sqlalchemy import select

from coalition.extensions import db
from coalition.mail.models import Post, PostStatus

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def message_ids(value: str | None) -> list[str]:
    """The `<id@host>` tokens of an In-Reply-To or References header, in order."""
    return _MESSAGE_ID.findall(value or "")


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
