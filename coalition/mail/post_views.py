"""Writing to a list on the web: compose, preview, test copy, send, delivery progress."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import posting, queries, services
from coalition.mail.forms import PostForm, SendForm
from coalition.mail.models import MailingList, Post, PostStatus
from coalition.mail.rendering import html_body
from coalition.web import acting_user, page_number, show_error

bp = Blueprint("list_posts", __name__, url_prefix="/lists")

# A relay's reply often quotes the address it refused; people who are not focal contacts
# see the reply without it.
ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def _list_or_404(name: str) -> MailingList:
    mailing_list = db.session.scalar(select(MailingList).where(MailingList.name == name))
    if mailing_list is None or not services.can_see(acting_user(), mailing_list):
        abort(404)
    return mailing_list


def _post_or_404(mailing_list: MailingList, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.list_id != mailing_list.id or \
            post.status not in (PostStatus.DRAFT, PostStatus.QUEUED):
        abort(404)
    if not posting.can_see(acting_user(), post):
        raise PermissionDenied("Only its author and the focal contacts can see this message "
                               "before it is in the archive.")
    return post


def _require_post(mailing_list: MailingList) -> None:
    if not services.can_post(acting_user(), mailing_list):
        if mailing_list.is_archived:
            raise PermissionDenied("This list is archived: nothing can be written to it.")
        raise PermissionDenied("You cannot write to this list.")


def _post_input(form: PostForm) -> posting.PostInput:
    return posting.PostInput(subject=form.subject.data or "", body=form.body.data or "",
                             body_format=form.body_format.data or "")


@bp.route("/<name>/posts/")
@login_required
def index(name: str):
    mailing_list = _list_or_404(name)
    actor = acting_user()
    manager = services.can_manage(actor)
    if not manager:
        _require_post(mailing_list)
    page = queries.list_posts(mailing_list, None if manager else actor.id, page_number())
    return render_template(
        "lists/post_index.html", mailing_list=mailing_list, page=page, manager=manager,
        can_post=services.can_post(actor, mailing_list),
        progress=posting.progress_by_post([post.id for post in page.items]))


@bp.route("/<name>/compose", methods=["GET", "POST"])
@login_required
def compose(name: str):
    mailing_list = _list_or_404(name)
    _require_post(mailing_list)
    form = PostForm()
    if form.validate_on_submit():
        try:
            post = posting.compose(acting_user(), mailing_list, _post_input(form))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("The draft is saved. Check the preview, send a test to yourself, then "
                  "send it to the list.", "success")
            return redirect(url_for(".detail", name=mailing_list.name, post_id=post.id))
    return render_template("lists/post_form.html", mailing_list=mailing_list, form=form,
                           post=None), 400 if form.is_submitted() else 200


def _reply_shown(reply: str | None, manager: bool) -> str:
    if not reply or manager:
        return reply or ""
    return ADDRESS.sub("(address hidden)", reply)


def _subject(mailing_list: MailingList, post: Post) -> str:
    """The subject as subscribers see it (listmail.py puts the list's prefix first)."""
    prefix = mailing_list.subject_prefix
    return f"{prefix} {post.subject}" if prefix and not post.subject.startswith(prefix) \
        else post.subject


def _detail_page(mailing_list: MailingList, post: Post, send_form: SendForm | None = None,
                 status: int = 200):
    actor = acting_user()
    manager = services.can_manage(actor)
    draft = post.status == PostStatus.DRAFT
    context = {"mailing_list": mailing_list, "post": post, "manager": manager,
               "html": html_body(post.body, post.body_format),
               "subject": _subject(mailing_list, post),
               "test_copies": queries.own_test_copies(post, actor.email)}
    if draft:
        action, reason = posting.web_decision(actor, mailing_list)
        context.update(can_edit=posting.can_edit(actor, post),
                       held_because=reason if action == "hold" else None,
                       recipients=posting.recipient_count(mailing_list),
                       send_form=send_form or SendForm(formdata=None))
    else:
        context.update(progress=posting.progress(post),
                       undelivered=[(delivery, _reply_shown(delivery.last_reply, manager))
                                    for delivery in queries.undelivered(post)])
    return render_template("lists/post_detail.html", **context), status


@bp.route("/<name>/posts/<int:post_id>")
@login_required
def detail(name: str, post_id: int):
    mailing_list = _list_or_404(name)
    return _detail_page(mailing_list, _post_or_404(mailing_list, post_id))


def _editable(name: str, post_id: int) -> tuple[MailingList, Post] | None:
    """The list and the draft, or None when it has been sent (the caller redirects)."""
    mailing_list = _list_or_404(name)
    post = _post_or_404(mailing_list, post_id)
    if post.status != PostStatus.DRAFT:
        return None
    if not posting.can_edit(acting_user(), post):
        raise PermissionDenied("You cannot change this message.")
    return mailing_list, post


def _already_sent(name: str, post_id: int):
    flash("This message has already been sent; it cannot change.", "error")
    return redirect(url_for(".detail", name=name, post_id=post_id))


@bp.route("/<name>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(name: str, post_id: int):
    found = _editable(name, post_id)
    if found is None:
        return _already_sent(name, post_id)
    mailing_list, post = found
    form = PostForm(obj=post)
    if form.validate_on_submit():
        try:
            posting.update_draft(acting_user(), post, _post_input(form))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash("The draft is saved.", "success")
            return redirect(url_for(".detail", name=mailing_list.name, post_id=post.id))
    return render_template("lists/post_form.html", mailing_list=mailing_list, form=form,
                           post=post), 400 if form.is_submitted() else 200


@bp.route("/<name>/posts/<int:post_id>/test", methods=["POST"])
@login_required
def test(name: str, post_id: int):
    found = _editable(name, post_id)
    if found is None:
        return _already_sent(name, post_id)
    mailing_list, post = found
    try:
        delivery = posting.send_test(acting_user(), post)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(f"A test copy is queued for {delivery.email}; it arrives once the delivery "
              "worker has sent it.", "success")
    return redirect(url_for(".detail", name=mailing_list.name, post_id=post.id))


@bp.route("/<name>/posts/<int:post_id>/send", methods=["POST"])
@login_required
def send(name: str, post_id: int):
    found = _editable(name, post_id)
    if found is None:
        return _already_sent(name, post_id)
    mailing_list, post = found
    form = SendForm()
    if form.validate():
        try:
            count = posting.send(acting_user(), post)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            if post.status == PostStatus.HELD:
                # Out of the author's hands now: the moderators' queue has it.
                flash(f"“{post.subject}” waits for a moderator of the list: "
                      f"{post.hold_reason} It goes to the list once a moderator approves it.",
                      "success")
                return redirect(url_for(".index", name=mailing_list.name))
            flash(f"The message is queued for {count} subscriber{'s' if count != 1 else ''}; "
                  "this page shows how delivery goes.", "success")
            return redirect(url_for(".detail", name=mailing_list.name, post_id=post.id))
    return _detail_page(mailing_list, post, form, 400)


@bp.route("/<name>/posts/<int:post_id>/progress")
@login_required
def progress(name: str, post_id: int):
    mailing_list = _list_or_404(name)
    post = _post_or_404(mailing_list, post_id)
    return jsonify(posting.progress(post).as_dict())
