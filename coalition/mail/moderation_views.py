"""The moderation pages: a list's queue of held posts, one held post with the decisions
on it, and the list's moderators and sender rules. Focal contacts moderate every list; a
list's moderators see only the lists they moderate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import db
from coalition.mail import moderation, queries, services
from coalition.mail.models import (
    ListModerator,
    MailingList,
    Post,
    PostStatus,
    SenderAction,
    SenderRule,
)
from coalition.web import acting_user, show_error

bp = Blueprint("moderation", __name__, url_prefix="/lists")

SENDER_ACTIONS = {
    "accept": "Accept: posts go to the list without waiting",
    "hold": "Hold every post for a moderator",
    "reject": "Reject: the sender is told",
    "discard": "Discard silently",
}


class RejectForm(FlaskForm):
    note = TextAreaField("Note to the sender (optional)",
                         validators=[Length(max=moderation.MAX_NOTE)],
                         description="Sent to the sender with the notice that the message "
                                     "was not accepted.", render_kw={"rows": 4})


class ModeratorForm(FlaskForm):
    email = EmailField("Login e-mail address",
                       validators=[InputRequired("Enter the address the person signs in "
                                                 "with."), Length(max=254)],
                       description="The person needs a login; they will see this list's "
                                   "queue and be told when a message waits.",
                       render_kw={"autocomplete": "off"})


class SenderRuleForm(FlaskForm):
    # Its own id: the moderator form on the same page has an `email` field too.
    email = EmailField("Sender's e-mail address", id="rule_email",
                       validators=[InputRequired("Enter the sender's address."),
                                   Length(max=254)],
                       render_kw={"autocomplete": "off"})
    action = RadioField("What happens to their posts", default=SenderAction.ACCEPT.value,
                        choices=[SelectChoice(value, label)
                                 for value, label in SENDER_ACTIONS.items()])


@bp.app_template_global()
def moderation_queue_for(mailing_list: MailingList) -> int | None:
    """How many posts wait in the list's queue, for whoever may see it (None otherwise):
    the list's page links moderators to their queue with it."""
    if not current_user.is_authenticated or \
            not services.can_moderate(acting_user(), mailing_list):
        return None
    return moderation.held_count(mailing_list)


@bp.app_template_global()
def queues_i_moderate() -> list[tuple[MailingList, int]]:
    """The lists the signed-in person was made a moderator of, with their held counts,
    for their own lists page (focal contacts reach every queue from the lists' pages)."""
    if not current_user.is_authenticated or services.can_manage(acting_user()):
        return []
    return [(mailing_list, moderation.held_count(mailing_list))
            for mailing_list in moderation.moderated_lists(acting_user())]


def _list_or_403(name: str) -> MailingList:
    mailing_list = db.session.scalar(select(MailingList).where(MailingList.name == name))
    if mailing_list is None:
        abort(404)
    if not services.can_moderate(acting_user(), mailing_list):
        raise PermissionDenied("Only the list's moderators and the focal contacts can "
                               "moderate it.")
    return mailing_list


def _post_or_404(mailing_list: MailingList, post_id: int, held_only: bool = True) -> Post:
    """A post of this list that was held. The decision pages show only posts still held;
    a decision on a post decided meanwhile says so instead (two moderators at once)."""
    post = db.session.get(Post, post_id)
    if post is None or post.list_id != mailing_list.id or post.held_at is None:
        abort(404)
    if held_only and post.status != PostStatus.HELD:
        abort(404)
    return post


def _to_queue(mailing_list: MailingList):
    return redirect(url_for(".queue", name=mailing_list.name))


def _decision(name: str, post_id: int, act):
    mailing_list = _list_or_403(name)
    post = _post_or_404(mailing_list, post_id, held_only=False)
    try:
        message = act(post)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(message, "success")
    return _to_queue(mailing_list)


# --- the queue and a held post ----------------------------------------------------------

@bp.route("/<name>/moderation/")
@login_required
def queue(name: str):
    mailing_list = _list_or_403(name)
    held_posts = moderation.held_posts(mailing_list)
    return render_template("lists/moderation_queue.html", mailing_list=mailing_list,
                           held=held_posts,
                           sizes={post.id: moderation.size_of(post) for post in held_posts},
                           can_manage=services.can_manage(acting_user()))


def _held_page(mailing_list: MailingList, post: Post, form: RejectForm, status: int = 200):
    rule = moderation.sender_rule_for(mailing_list, post.sender_email)
    return render_template("lists/moderation_held.html", mailing_list=mailing_list, post=post,
                           form=form, rule=rule, address=queries.address(mailing_list),
                           size=moderation.size_of(post)), status


@bp.route("/<name>/moderation/<int:post_id>")
@login_required
def held(name: str, post_id: int):
    mailing_list = _list_or_403(name)
    post = _post_or_404(mailing_list, post_id)
    return _held_page(mailing_list, post, RejectForm(formdata=None))


@bp.route("/<name>/moderation/<int:post_id>/approve", methods=["POST"])
@login_required
def approve(name: str, post_id: int):
    def act(post: Post) -> str:
        count = moderation.approve(acting_user(), post)
        return (f"“{post.subject}” is approved: it goes to {count} subscriber(s) and into "
                "the archive.")
    return _decision(name, post_id, act)


@bp.route("/<name>/moderation/<int:post_id>/reject", methods=["POST"])
@login_required
def reject(name: str, post_id: int):
    mailing_list = _list_or_403(name)
    post = _post_or_404(mailing_list, post_id, held_only=False)
    form = RejectForm()
    if form.validate():
        try:
            moderation.reject(acting_user(), post, form.note.data or "")
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            if error.field != "note":
                flash(error.message, "error")
                return _to_queue(mailing_list)
            show_error(form, error)
        else:
            flash(f"“{post.subject}” is rejected; {post.sender_email} is told.", "success")
            return _to_queue(mailing_list)
    if post.status != PostStatus.HELD:
        abort(404)
    return _held_page(mailing_list, post, form, 400)


@bp.route("/<name>/moderation/<int:post_id>/discard", methods=["POST"])
@login_required
def discard(name: str, post_id: int):
    def act(post: Post) -> str:
        moderation.discard(acting_user(), post)
        return f"“{post.subject}” is discarded; nobody is told."
    return _decision(name, post_id, act)


@bp.route("/<name>/moderation/<int:post_id>/accept-always", methods=["POST"])
@login_required
def accept_always(name: str, post_id: int):
    def act(post: Post) -> str:
        count, still_held = moderation.accept_always(acting_user(), post)
        message = (f"“{post.subject}” is approved (to {count} subscriber(s)), and posts "
                   f"from {post.sender_email} will no longer be held.")
        if still_held:
            message += (f" {still_held} earlier message(s) from them still wait below: "
                        "decide on each.")
        return message
    return _decision(name, post_id, act)


# --- moderators and sender rules --------------------------------------------------------

def _moderators_page(mailing_list: MailingList, moderator_form: ModeratorForm,
                     rule_form: SenderRuleForm, status: int = 200):
    return render_template(
        "lists/moderation_moderators.html", mailing_list=mailing_list,
        moderators=moderation.moderators_of(mailing_list),
        rules=moderation.sender_rules(mailing_list), actions=SENDER_ACTIONS,
        moderator_form=moderator_form, rule_form=rule_form,
        can_manage=services.can_manage(acting_user())), status


@bp.route("/<name>/moderators")
@login_required
def moderators(name: str):
    mailing_list = _list_or_403(name)
    return _moderators_page(mailing_list, ModeratorForm(formdata=None),
                            SenderRuleForm(formdata=None))


def _to_moderators(mailing_list: MailingList):
    return redirect(url_for(".moderators", name=mailing_list.name))


@bp.route("/<name>/moderators/add", methods=["POST"])
@login_required
def add_moderator(name: str):
    mailing_list = _list_or_403(name)
    if not services.can_manage(acting_user()):
        raise PermissionDenied("Only a focal contact can choose a list's moderators.")
    form = ModeratorForm()
    if form.validate():
        try:
            moderator = moderation.add_moderator(acting_user(), mailing_list, form.email.data)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"{moderator.user.email} now moderates {mailing_list.display_name}.",
                  "success")
            return _to_moderators(mailing_list)
    return _moderators_page(mailing_list, form, SenderRuleForm(formdata=None), 400)


@bp.route("/<name>/moderators/<int:moderator_id>/remove", methods=["POST"])
@login_required
def remove_moderator(name: str, moderator_id: int):
    mailing_list = _list_or_403(name)
    if not services.can_manage(acting_user()):
        raise PermissionDenied("Only a focal contact can choose a list's moderators.")
    moderator = db.session.get(ListModerator, moderator_id)
    if moderator is None or moderator.list_id != mailing_list.id:
        abort(404)
    email = moderator.user.email
    moderation.remove_moderator(acting_user(), moderator)
    db.session.commit()
    flash(f"{email} no longer moderates {mailing_list.display_name}.", "success")
    return _to_moderators(mailing_list)


@bp.route("/<name>/sender-rules", methods=["POST"])
@login_required
def add_rule(name: str):
    mailing_list = _list_or_403(name)
    form = SenderRuleForm()
    if form.validate():
        try:
            rule = moderation.set_sender_rule(acting_user(), mailing_list, form.email.data,
                                              form.action.data)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            flash(f"Posts from {rule.email}: {SENDER_ACTIONS[rule.action].lower()}.",
                  "success")
            return _to_moderators(mailing_list)
    return _moderators_page(mailing_list, ModeratorForm(formdata=None), form, 400)


@bp.route("/<name>/sender-rules/<int:rule_id>/remove", methods=["POST"])
@login_required
def remove_rule(name: str, rule_id: int):
    mailing_list = _list_or_403(name)
    rule = db.session.get(SenderRule, rule_id)
    if rule is None or rule.list_id != mailing_list.id:
        abort(404)
    email = rule.email
    moderation.remove_sender_rule(acting_user(), rule)
    db.session.commit()
    flash(f"The rule for {email} is removed: their posts follow the list's settings again.",
          "success")
    return _to_moderators(mailing_list)
