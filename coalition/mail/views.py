"""The lists as everyone sees them: the index, a list's page with its subscribe form, the
confirmation and unsubscribe links (including RFC 8058 one-click), a member's own
subscriptions, and the archive of what was sent."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, StringField
from wtforms.validators import InputRequired, Length

from coalition.errors import PermissionDenied, ValidationError
from coalition.extensions import csrf, db
from coalition.mail import queries, services, subscriptions
from coalition.mail.models import MailingList
from coalition.web import acting_user, show_error, token_page

bp = Blueprint("lists", __name__, url_prefix="/lists")


class SubscribeForm(FlaskForm):
    email = EmailField("E-mail address",
                       validators=[InputRequired("Enter your e-mail address."),
                                   Length(max=254)],
                       description="We send a link to this address; nothing else is sent "
                                   "until you open it and confirm.",
                       render_kw={"autocomplete": "email"})
    name = StringField("Your name (optional)", validators=[Length(max=200)],
                       render_kw={"autocomplete": "name"})


def _list_or_404(name: str) -> MailingList:
    mailing_list = db.session.scalar(select(MailingList).where(MailingList.name == name))
    if mailing_list is None or not services.can_see(acting_user(), mailing_list):
        abort(404)
    return mailing_list


@bp.route("/")
def index():
    actor = acting_user()
    return render_template("lists/index.html", lists=queries.visible_lists(actor),
                           can_manage=services.can_manage(actor),
                           mine=services.own_subscriptions(actor))


def _detail(mailing_list: MailingList, form: SubscribeForm, status: int = 200):
    actor = acting_user()
    return render_template(
        "lists/detail.html", mailing_list=mailing_list, form=form,
        address=queries.address(mailing_list),
        own=services.own_subscription(actor, mailing_list),
        can_self_subscribe=subscriptions.can_self_subscribe(actor, mailing_list),
        can_post=services.can_post(actor, mailing_list),
        can_manage=services.can_manage(actor),
        can_read_archive=queries.can_read_archive(actor, mailing_list),
        subscribers=queries.active_count(mailing_list)), status


@bp.route("/<name>/")
def detail(name: str):
    return _detail(_list_or_404(name), SubscribeForm())


@bp.route("/<name>/subscribe", methods=["GET", "POST"])
def subscribe(name: str):
    mailing_list = _list_or_404(name)
    if request.method == "GET":
        return redirect(url_for("lists.detail", name=name))
    form = SubscribeForm()
    if form.validate_on_submit():
        try:
            subscriptions.request_subscription(mailing_list, form.email.data, form.name.data or "")
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            # The same page whatever the address's state: it never tells a visitor whether
            # someone is subscribed.
            return render_template("lists/subscribe_sent.html", mailing_list=mailing_list,
                                   email=form.email.data.strip())
    return _detail(mailing_list, form, 400)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in the confirmation e-mail. Opening it shows a button; only pressing it
    confirms, so a mail scanner that follows links subscribes nobody."""
    try:
        subscription = subscriptions.subscription_for_confirmation(token)
    except ValidationError as error:
        return token_page((render_template("lists/link_error.html", message=error.message),
                           400))
    mailing_list = subscription.mailing_list
    if request.method == "POST":
        try:
            subscriptions.confirm_subscription(token)
        except ValidationError as error:
            db.session.rollback()
            return token_page((render_template("lists/link_error.html",
                                               message=error.message), 400))
        db.session.commit()
        return token_page(render_template("lists/confirmed.html", subscription=subscription,
                                          mailing_list=mailing_list))
    return token_page(render_template("lists/confirm.html", subscription=subscription,
                                      mailing_list=mailing_list))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the token in the path is the secret; mail providers POST without a form
def unsubscribe(token: str):
    """The per-recipient link of List-Unsubscribe and of the footer. GET shows a button;
    a POST unsubscribes at once (RFC 8058 one-click: `List-Unsubscribe=One-Click` in the
    body, no session, no confirmation)."""
    subscription = subscriptions.subscription_by_token(token)
    if subscription is None:
        return token_page((render_template(
            "lists/link_error.html",
            message="This unsubscribe link is not valid. Check that you copied all of it; "
                    "the list's page also lets you unsubscribe by signing in."), 404))
    mailing_list = subscription.mailing_list
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        subscriptions.unsubscribe(None, subscription, "one-click" if one_click else "link")
        db.session.commit()
        return token_page(render_template("lists/unsubscribed.html",
                                          mailing_list=mailing_list,
                                          subscription=subscription))
    return token_page(render_template("lists/unsubscribe.html", mailing_list=mailing_list,
                                      subscription=subscription))


# --- a member's own subscriptions -----------------------------------------------------------

@bp.route("/mine")
@login_required
def mine():
    actor = acting_user()
    return render_template("lists/mine.html", rows=queries.own_list_rows(actor),
                           is_member=services.member_of(actor) is not None)


def _back(name: str):
    target = request.form.get("next")
    if target == "mine":
        return redirect(url_for("lists.mine"))
    return redirect(url_for("lists.detail", name=name))


@bp.route("/<name>/join", methods=["POST"])
@login_required
def join(name: str):
    mailing_list = _list_or_404(name)
    try:
        subscription = subscriptions.subscribe_self(acting_user(), mailing_list)
    except PermissionDenied as error:
        abort(403, error.message)
    db.session.commit()
    if subscription.awaits_approval:
        flash(f"You asked to join {mailing_list.display_name}; a focal contact approves "
              "new subscribers of this list.", "success")
    else:
        flash(f"You are subscribed to {mailing_list.display_name}.", "success")
    return _back(name)


@bp.route("/<name>/leave", methods=["POST"])
@login_required
def leave(name: str):
    mailing_list = _list_or_404(name)
    subscription = services.own_subscription(acting_user(), mailing_list)
    if subscription is None:
        abort(404)
    subscriptions.unsubscribe(acting_user(), subscription, "own profile")
    db.session.commit()
    flash(f"You are unsubscribed from {mailing_list.display_name}.", "success")
    return _back(name)


@bp.route("/<name>/delivery", methods=["POST"])
@login_required
def delivery(name: str):
    mailing_list = _list_or_404(name)
    subscription = services.own_subscription(acting_user(), mailing_list)
    if subscription is None or not subscription.is_active:
        abort(404)
    enabled = request.form.get("enabled") == "1"
    subscriptions.set_delivery(acting_user(), subscription, enabled)
    db.session.commit()
    flash(f"Delivery of {mailing_list.display_name} is "
          f"{'on' if enabled else 'paused: you stay subscribed'}.", "success")
    return _back(name)


# --- what was sent: the archive's pages are in archive_views.py, on this blueprint ------

from coalition.mail import archive_views  # noqa: E402,F401  (registers its routes on bp)
