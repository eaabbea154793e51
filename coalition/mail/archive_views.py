"""The archive's pages, on the `lists` blueprint: the months and latest threads, a month by
thread or by date, a thread, a message at its permalink (the Archived-At of every copy),
search, attachments, a month as mbox, and replying from the web.

Every route checks the list's archive visibility first (_archive_or_404): a members' archive
asks visitors to sign in, one they may not read is a 404, as if it did not exist."""

from __future__ import annotations

import io

from flask import abort, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db, login_manager
from coalition.mail import archive, posting, queries, services
from coalition.mail.models import ArchiveVisibility, MailingList, Post
from coalition.mail.views import _list_or_404, bp
from coalition.web import acting_user, page_number, show_error


class ReplyForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired("Enter a subject."),
                                                 Length(max=posting.MAX_SUBJECT)],
                          render_kw={"autocomplete": "off"})
    body = TextAreaField("Message", validators=[DataRequired("Write the message.")],
                         description="Plain text. Keep the part of the message you answer; "
                                     "lines starting with “>” are the quotation.",
                         render_kw={"rows": 16})


def _archive_or_404(name: str) -> MailingList | None:
    """The list whose archive may be read; None when signing in would help."""
    mailing_list = _list_or_404(name)
    if not archive.can_read(acting_user(), mailing_list):
        if not current_user.is_authenticated and queries.archive_for_members(mailing_list):
            return None
        abort(404)
    return mailing_list


def _readable(name: str) -> MailingList:
    mailing_list = _archive_or_404(name)
    if mailing_list is None:
        abort(login_manager.unauthorized())
    return mailing_list


def _post_or_404(mailing_list: MailingList, post_id: int) -> Post:
    post = archive.archived_post(mailing_list, post_id)
    if post is None:
        abort(404)
    return post


def _month_or_404(year: int, month: int) -> None:
    try:
        archive.month_range(year, month)
    except ValueError:
        abort(404)


def _context(mailing_list: MailingList) -> dict:
    actor = acting_user()
    return {"mailing_list": mailing_list, "reveal": archive.reveals_addresses(actor),
            "sender": archive.sender, "shown": archive.shown}


@bp.route("/<name>/archive/", endpoint="archive")
def archive_index(name: str):
    mailing_list = _readable(name)
    return render_template("lists/archive.html", **_context(mailing_list),
                           months=archive.months(mailing_list),
                           latest=archive.latest_threads(mailing_list))


@bp.route("/<name>/archive/<int(fixed_digits=4):year>-<int(fixed_digits=2):month>/")
def archive_month(name: str, year: int, month: int):
    mailing_list = _readable(name)
    _month_or_404(year, month)
    by_date = request.args.get("view") == "date"
    context = dict(_context(mailing_list), year=year, month=month, by_date=by_date,
                   label=archive.Month(year, month, 0).label)
    if by_date:
        page = archive.month_posts(mailing_list, year, month, page_number())
        return render_template("lists/archive_month.html", page=page, trees=None,
                               **context)
    page, trees = archive.month_threads(mailing_list, year, month, page_number())
    return render_template("lists/archive_month.html", page=page, trees=trees, **context)


@bp.route("/<name>/archive/thread/<int:thread_id>/")
def archive_thread(name: str, thread_id: int):
    mailing_list = _readable(name)
    tree = archive.thread(mailing_list, thread_id)
    if tree is None:
        abort(404)
    context = _context(mailing_list)
    # The messages themselves under the tree, in reading order (each after the one it
    # answers), so a thread reads on one page; a very long one shows its first messages.
    order, stack = [], [tree]
    while stack and len(order) < THREAD_MESSAGES_SHOWN:
        node = stack.pop()
        order.append(node.post)
        stack.extend(reversed(node.children))
    messages = [(post, *archive.body_html(post, context["reveal"])) for post in order]
    return render_template("lists/archive_thread.html", tree=tree, messages=messages,
                           shown_limit=THREAD_MESSAGES_SHOWN, **context)


THREAD_MESSAGES_SHOWN = 100


@bp.route("/<name>/archive/<int:post_id>/", strict_slashes=False)
def archived_post(name: str, post_id: int):
    mailing_list = _readable(name)
    post = _post_or_404(mailing_list, post_id)
    actor = acting_user()
    context = _context(mailing_list)
    body, is_html = archive.body_html(post, context["reveal"])
    parent, replies = archive.neighbours(post)
    return render_template(
        "lists/archived_post.html", post=post, body=body, is_html=is_html, parent=parent,
        replies=replies, can_reply=archive.can_reply(actor, mailing_list),
        can_manage=services.can_manage(actor),
        can_see_progress=posting.can_see(actor, post), **context)


@bp.route("/<name>/archive/search")
def archive_search(name: str):
    mailing_list = _readable(name)
    query = " ".join(request.args.get("q", "").split())[:200]
    words, page = archive.search_posts(mailing_list, query, page_number())
    return render_template("lists/archive_search.html", query=query, words=words, page=page,
                           snippet=archive.snippet, **_context(mailing_list))


@bp.route("/<name>/archive/<int:post_id>/files/<int:position>/<path:filename>")
def archive_attachment(name: str, post_id: int, position: int, filename: str):
    mailing_list = _readable(name)
    post = _post_or_404(mailing_list, post_id)
    item = archive.attachment(post, position)
    if item is None or item.filename != filename:
        abort(404)
    response = send_file(io.BytesIO(item.data), mimetype=archive.served_type(item),
                         as_attachment=True, download_name=item.filename or "attachment",
                         conditional=False, etag=False, max_age=0)
    return _cache(response, mailing_list)


def _cache(response, mailing_list: MailingList):
    # A members' or closed archive's files are not for shared caches.
    if mailing_list.archive_visibility != ArchiveVisibility.PUBLIC:
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<name>/archive/<int(fixed_digits=4):year>-<int(fixed_digits=2):month>.mbox")
def archive_mbox(name: str, year: int, month: int):
    mailing_list = _readable(name)
    _month_or_404(year, month)
    data = archive.mbox(mailing_list, year, month,
                        archive.reveals_addresses(acting_user()))
    response = make_response(data)
    response.headers["Content-Type"] = "application/mbox"
    filename = f"{mailing_list.name}-{year:04d}-{month:02d}.mbox"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _cache(response, mailing_list)


@bp.route("/<name>/archive/<int:post_id>/reply", methods=["GET", "POST"])
@login_required
def archive_reply(name: str, post_id: int):
    mailing_list = _readable(name)
    parent = _post_or_404(mailing_list, post_id)
    actor = acting_user()
    if not archive.can_reply(actor, mailing_list):
        if mailing_list.is_announce:
            raise PermissionDenied("This list is for announcements: replies go to the "
                                   "sender, not to the list.")
        raise PermissionDenied("Only members can reply to the list from the archive.")
    form = ReplyForm()
    if request.method == "GET":
        form.subject.data = archive.reply_subject(parent)
        form.body.data = archive.quoted_body(parent)
    elif form.validate_on_submit():
        try:
            done = archive.reply(actor, parent, form.subject.data, form.body.data)
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            if done.sent:
                return redirect(url_for("lists.archived_post", name=mailing_list.name,
                                        post_id=done.post.id))
            return render_template("lists/archive_reply_held.html", post=done.post,
                                   parent=parent, **_context(mailing_list))
    status = 400 if request.method == "POST" else 200
    return render_template("lists/archive_reply.html", form=form, parent=parent,
                           will_be_held=posting.web_decision(actor, mailing_list)[0] != "accept",
                           **_context(mailing_list)), status
