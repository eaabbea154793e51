"""The focal contact's pages for lists: create and edit a list, its subscribers, CSV import."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coalition.auth.permissions import focal_contact_required
from coalition.errors import ValidationError
from coalition.extensions import db
from coalition.mail import imports, posting, queries, services, subscriptions
from coalition.mail.forms import ImportForm, ListForm, SubscriberFilter, SubscriberForm
from coalition.mail.models import MailingList, Subscription
from coalition.web import acting_user, page_number, show_error

bp = Blueprint("list_manage", __name__, url_prefix="/lists")

ERROR_ROWS = 1_000  # bad rows listed on the page
FILTERS = dict(queries.SUBSCRIBER_FILTERS)


def _list_or_404(name: str) -> MailingList:
    mailing_list = db.session.scalar(select(MailingList).where(MailingList.name == name))
    if mailing_list is None:
        abort(404)
    return mailing_list


def _list_input(form: ListForm) -> services.ListInput:
    return services.ListInput(**{name: form[name].data for name in (
        "name", "display_name", "description", "kind", "subscription_policy",
        "posting_policy", "subscribe_members", "reply_to", "reply_to_address",
        "archive_visibility", "subject_prefix", "footer", "nonmember_action",
        "max_message_kb", "attachment_policy", "hold_days")})


def _name_taken(form: ListForm) -> None:
    """Two saves raced for one address (the name is unique): the later one says so."""
    db.session.rollback()
    form.name.errors = [*form.name.errors, "Another list took this address while you were "
                        "saving, so nothing was saved. Choose another address."]


# --- the list itself -------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@focal_contact_required
def new():
    form = ListForm()
    if form.validate_on_submit():
        try:
            mailing_list = services.create_list(acting_user(), _list_input(form))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:
            _name_taken(form)
        else:
            flash(f"The list {mailing_list.display_name} was created: "
                  f"{queries.address(mailing_list)}.", "success")
            return redirect(url_for("lists.detail", name=mailing_list.name))
    return render_template("lists/manage_form.html", form=form, mailing_list=None), \
        400 if form.is_submitted() else 200


@bp.route("/<name>/settings", methods=["GET", "POST"])
@focal_contact_required
def edit(name: str):
    mailing_list = _list_or_404(name)
    form = ListForm(obj=services.list_input(mailing_list)).for_existing_list()
    if form.validate_on_submit():
        try:
            changes = services.update_list(acting_user(), mailing_list, _list_input(form))
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:
            _name_taken(form)
        else:
            flash("The list's settings were saved." if changes else "Nothing had changed.",
                  "success")
            return redirect(url_for(".edit", name=mailing_list.name))
    return render_template("lists/manage_form.html", form=form, mailing_list=mailing_list,
                           address=queries.address(mailing_list)), \
        400 if form.is_submitted() else 200


@bp.route("/<name>/settings/archived", methods=["POST"])
@focal_contact_required
def set_archived(name: str):
    mailing_list = _list_or_404(name)
    archived = request.form.get("archived")
    if archived not in ("0", "1"):
        abort(400)
    services.set_list_archived(acting_user(), mailing_list, archived == "1")
    db.session.commit()
    if mailing_list.is_archived:
        flash(f"{mailing_list.display_name} is archived: it takes no messages and no "
              "subscribers, and only focal contacts see it. Nothing was deleted.", "success")
    else:
        flash(f"{mailing_list.display_name} is back in use.", "success")
    return redirect(url_for(".edit", name=mailing_list.name))


# --- subscribers -----------------------------------------------------------------------

def _filters(source) -> tuple[str, str]:
    status = source.get("status", "")
    search = " ".join(source.get("q", "").split())[:200]
    return (status if status in FILTERS else ""), search


def _subscribers_page(mailing_list: MailingList, form: SubscriberForm, status: int = 200):
    state, search = _filters(request.args)
    return render_template(
        "lists/manage_subscribers.html", mailing_list=mailing_list, form=form,
        filter_form=SubscriberFilter(request.args), status=state, search=search,
        filters=queries.SUBSCRIBER_FILTERS, counts=queries.subscriber_counts(mailing_list),
        page=queries.subscribers(mailing_list, state, search, page_number()),
        recipients=posting.recipient_count(mailing_list)), status


@bp.route("/<name>/subscribers", methods=["GET", "POST"])
@focal_contact_required
def subscribers(name: str):
    mailing_list = _list_or_404(name)
    form = SubscriberForm()
    if request.method == "GET":
        return _subscribers_page(mailing_list, SubscriberForm(formdata=None))
    if form.validate():
        try:
            subscription = subscriptions.add_subscriber(acting_user(), mailing_list,
                                                   form.email.data, form.name.data or "")
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        except IntegrityError:  # the same address added twice at once
            db.session.rollback()
            form.email.errors = [*form.email.errors, "This address was just added."]
        else:
            flash(f"{subscription.email} is subscribed.", "success")
            return redirect(url_for(".subscribers", name=mailing_list.name))
    return _subscribers_page(mailing_list, form, 400)


def _subscription_or_404(mailing_list: MailingList, subscription_id: int) -> Subscription:
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.list_id != mailing_list.id:
        abort(404)
    return subscription


def _back_to_subscribers(mailing_list: MailingList):
    """The subscribers page as it was (filter, search and page come back with the form)."""
    state, search = _filters(request.form)
    args = {key: value for key, value in (("status", state), ("q", search)) if value}
    if request.form.get("page", "").isdigit() and int(request.form["page"]) > 1:
        args["page"] = int(request.form["page"])
    return redirect(url_for(".subscribers", name=mailing_list.name, **args))


def _switch() -> bool:
    """The on/off of a subscriber's switch form ("1" or "0"; anything else is a 400)."""
    enabled = request.form.get("enabled")
    if enabled not in ("0", "1"):
        abort(400)
    return enabled == "1"


def _subscriber_action(name: str, subscription_id: int, act) -> object:
    mailing_list = _list_or_404(name)
    subscription = _subscription_or_404(mailing_list, subscription_id)
    try:
        message = act(subscription)
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(message, "success")
    return _back_to_subscribers(mailing_list)


@bp.route("/<name>/subscribers/<int:subscription_id>/remove", methods=["POST"])
@focal_contact_required
def remove_subscriber(name: str, subscription_id: int):
    def act(subscription: Subscription) -> str:
        if not subscriptions.unsubscribe(acting_user(), subscription,
                                         subscriptions.REMOVED_BY_MANAGER):
            return f"{subscription.email} was not subscribed."
        return f"{subscription.email} is unsubscribed (kept in the list's history)."
    return _subscriber_action(name, subscription_id, act)


@bp.route("/<name>/subscribers/<int:subscription_id>/approve", methods=["POST"])
@focal_contact_required
def approve_subscriber(name: str, subscription_id: int):
    def act(subscription: Subscription) -> str:
        subscriptions.approve_subscription(acting_user(), subscription)
        return f"{subscription.email} is approved and subscribed."
    return _subscriber_action(name, subscription_id, act)


@bp.route("/<name>/subscribers/<int:subscription_id>/delivery", methods=["POST"])
@focal_contact_required
def subscriber_delivery(name: str, subscription_id: int):
    enabled = _switch()

    def act(subscription: Subscription) -> str:
        if not subscription.is_active:
            raise ValidationError(None, f"{subscription.email} is not subscribed, so there "
                                        "is no delivery to pause or resume.")
        subscriptions.set_delivery(acting_user(), subscription, enabled)
        return (f"Delivery to {subscription.email} is on again." if enabled else
                f"Delivery to {subscription.email} is paused; they stay subscribed.")
    return _subscriber_action(name, subscription_id, act)


@bp.route("/<name>/subscribers/<int:subscription_id>/moderated", methods=["POST"])
@focal_contact_required
def subscriber_moderated(name: str, subscription_id: int):
    enabled = _switch()

    def act(subscription: Subscription) -> str:
        subscriptions.set_moderated(acting_user(), subscription, enabled)
        return (f"Posts from {subscription.email} are held for a moderator from now on."
                if enabled else
                f"Posts from {subscription.email} are no longer held for being moderated.")
    return _subscriber_action(name, subscription_id, act)


@bp.route("/<name>/subscribers/<int:subscription_id>/reenable", methods=["POST"])
@focal_contact_required
def reenable_subscriber(name: str, subscription_id: int):
    def act(subscription: Subscription) -> str:
        subscriptions.reenable(acting_user(), subscription)
        return f"{subscription.email} is subscribed again; its bounce score is back to 0."
    return _subscriber_action(name, subscription_id, act)


# --- CSV import ------------------------------------------------------------------------

def _import_page(mailing_list: MailingList, form: ImportForm, status: int = 200,
                 check: imports.ImportCheck | None = None):
    bad = check.bad_rows if check is not None else []
    return render_template(
        "lists/manage_import.html", mailing_list=mailing_list, form=form, check=check,
        bad_rows=bad[:ERROR_ROWS], more_bad=max(0, len(bad) - ERROR_ROWS),
        imports=imports), status


@bp.route("/<name>/subscribers/import", methods=["GET", "POST"])
@focal_contact_required
def import_subscribers(name: str):
    mailing_list = _list_or_404(name)
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(mailing_list, form, 400 if form.is_submitted() else 200)
    upload = form.file.data
    filename = Path(upload.filename or "upload.csv").name[:200]
    try:
        result = imports.import_subscribers(acting_user(), mailing_list, upload.read(),
                                            form.mode.data, source=filename)
        db.session.commit()
    except imports.ImportRefused as refused:
        db.session.rollback()
        show_error(form, refused)
        return _import_page(mailing_list, form, 400, refused.check)
    except ValidationError as error:
        db.session.rollback()
        show_error(form, error)
        return _import_page(mailing_list, form, 400)
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append("Someone added some of these addresses while the file was "
                                "being imported, so nothing was written. Upload it again.")
        return _import_page(mailing_list, form, 400)
    return render_template("lists/manage_import_done.html", mailing_list=mailing_list,
                           result=result, filename=filename, imports=imports,
                           bad_rows=result.check.bad_rows[:ERROR_ROWS],
                           more_bad=max(0, len(result.check.bad_rows) - ERROR_ROWS))
