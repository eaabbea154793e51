"""Threads: a post answers the newest known post it names, on its own list only."""

from __future__ import annotations

from coalition.extensions import db
from coalition.mail import posting, threads
from coalition.mail.models import Post
from tests.mail.fixtures_delivery import SYSTEM, add_subscribers, make_list, queue_post


def _reply(parent: Post | None, mailing_list, *, in_reply_to: str | None = None,
           references: str | None = None) -> Post:
    post = posting.compose(SYSTEM, mailing_list,
                           posting.PostInput(subject="Re: x", body="Yes."))
    post.in_reply_to = in_reply_to if in_reply_to is not None else (
        parent.message_id if parent else None)
    post.references = references
    posting.queue_copies(post, post.created_at)
    db.session.commit()
    return post


def test_a_reply_joins_its_parents_thread_and_a_new_subject_starts_one(app):
    mailing_list = make_list(kind="discussion")
    add_subscribers(mailing_list, 2)
    first = queue_post(mailing_list)
    assert first.thread_id == first.id and first.parent_id is None
    answer = _reply(first, mailing_list)
    assert (answer.parent_id, answer.thread_id) == (first.id, first.id)
    # A reply to the answer names the whole chain in References: the newest known wins.
    deeper = _reply(answer, mailing_list, references=threads.references_for_reply(answer))
    assert (deeper.parent_id, deeper.thread_id) == (answer.id, first.id)
    assert threads.references_for_reply(answer).split() == [first.message_id,
                                                            answer.message_id]


def test_an_unknown_in_reply_to_falls_back_on_references(app):
    mailing_list = make_list(kind="discussion")
    add_subscribers(mailing_list, 1)
    first = queue_post(mailing_list)
    lost = _reply(None, mailing_list, in_reply_to="<never-archived@example.org>",
                  references=f"{first.message_id} <never-archived@example.org>")
    assert (lost.parent_id, lost.thread_id) == (first.id, first.id)


def test_a_post_of_another_list_is_never_a_parent(app):
    one = make_list(name="one", kind="discussion")
    other = make_list(name="other", kind="discussion")
    add_subscribers(one, 1)
    add_subscribers(other, 1)
    first = queue_post(one)
    stranger = _reply(first, other)
    assert stranger.parent_id is None and stranger.thread_id == stranger.id


def test_replies_sent_before_their_held_parent_join_its_thread_on_approval(app):
    """A reply can go out while the message it answers waits for a moderator: once that
    message is approved, the reply (and what answers it) moves into its thread."""
    mailing_list = make_list(kind="discussion")
    add_subscribers(mailing_list, 1)
    held = posting.compose(SYSTEM, mailing_list, posting.PostInput(subject="Q", body="?"))
    db.session.flush()
    early = _reply(held, mailing_list)
    later = _reply(early, mailing_list, references=f"{held.message_id} {early.message_id}")
    assert early.thread_id == early.id and later.thread_id == early.id

    posting.queue_copies(held, held.created_at)
    db.session.commit()
    db.session.expire_all()

    assert (early.parent_id, early.thread_id) == (held.id, held.id)
    assert (later.parent_id, later.thread_id) == (early.id, held.id)
