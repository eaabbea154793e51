"""The focal contact's and the posters' forms for lists: they parse and show input; the rules
(list names, addresses, who may post) live in services.py, posting.py and imports.py."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from coalition.mail import imports
from coalition.mail.models import (
    ArchiveVisibility,
    AttachmentPolicy,
    ListKind,
    NonMemberAction,
    PostFormat,
    PostingPolicy,
    ReplyTo,
    SubscriptionPolicy,
)
from coalition.mail.queries import SUBSCRIBER_FILTERS


def _choices(vocabulary) -> list[SelectChoice]:
    return [SelectChoice(item.value, item.label) for item in vocabulary]


class ListForm(FlaskForm):
    """Every setting of a list (ListInput), for the new-list and settings pages."""

    name = StringField(
        "Address", validators=[InputRequired("Enter the list's address (the part before "
                                             "the @)."), Length(max=64)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"})
    display_name = StringField("Name", validators=[InputRequired("Give the list a name."),
                                                   Length(max=200)],
                               description="As subscribers see it, for example "
                                           "“Coalition announcements”.",
                               render_kw={"autocomplete": "off"})
    description = TextAreaField("Description (optional)", validators=[Length(max=5000)],
                                description="What the list is for; shown on its public "
                                            "page.", render_kw={"rows": 4})
    kind = RadioField("Kind of list", choices=_choices(ListKind),
                      default=ListKind.ANNOUNCE.value,
                      description="On an announcement list only the people allowed to post "
                                  "write; replies do not go to the list.")
    subscription_policy = RadioField("Who can subscribe", choices=_choices(SubscriptionPolicy),
                                     default=SubscriptionPolicy.OPEN.value)
    subscribe_members = BooleanField("Subscribe active members automatically (and "
                                     "unsubscribe them when they leave)")
    posting_policy = RadioField("Who can write to the list on the web",
                                choices=_choices(PostingPolicy),
                                default=PostingPolicy.FOCAL_CONTACTS.value,
                                description="Focal contacts always can.")
    reply_to = RadioField("Replies", choices=_choices(ReplyTo), default=ReplyTo.SENDER.value)
    reply_to_address = EmailField(
        "Reply address", validators=[Optional(), Length(max=254)],
        description="Used only when replies go to a fixed address.",
        render_kw={"autocomplete": "off"})
    archive_visibility = RadioField("Who can read the archive",
                                    choices=_choices(ArchiveVisibility),
                                    default=ArchiveVisibility.PUBLIC.value)
    subject_prefix = StringField("Subject prefix (optional)", validators=[Length(max=60)],
                                 description="Put before every subject, for example "
                                             "[Coalition].",
                                 render_kw={"autocomplete": "off"})
    footer = TextAreaField("Footer (optional)", validators=[Length(max=2000)],
                           description="Added to every message, above the unsubscribe link "
                                       "each subscriber gets.", render_kw={"rows": 3})
    # Moderation. A form that leaves these out (an older page) keeps the list's values.
    nonmember_action = RadioField(
        "E-mail from someone who may not post", choices=_choices(NonMemberAction),
        default=NonMemberAction.HOLD.value,
        description="Who may post is the setting above; their e-mail goes to the list "
                    "directly. Anyone else's is held for a moderator, refused with a "
                    "notice, or dropped.")
    max_message_kb = IntegerField(
        "Largest message (KB)", default=1024,
        validators=[Optional(), NumberRange(1, 25_600, "Enter between 1 and 25,600 KB.")],
        description="Bigger messages are held for a moderator. 1024 KB is 1 MB.",
        render_kw={"inputmode": "numeric", "min": 1, "max": 25_600})
    attachment_policy = RadioField(
        "Attachments", choices=_choices(AttachmentPolicy),
        default=AttachmentPolicy.KEEP.value,
        description="Removed attachments are not sent or archived; the text is.")
    hold_days = IntegerField(
        "Days a held message waits", default=14,
        validators=[Optional(), NumberRange(1, 90, "Enter between 1 and 90 days.")],
        description="If no moderator decides in time, the message is discarded.",
        render_kw={"inputmode": "numeric", "min": 1, "max": 90})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        domain = current_app.config["MAIL_DOMAIN"]
        self.name.description = (
            f"The part before @{domain}: lower-case letters, digits, dots, hyphens and "
            "underscores, for example “announce”. It is also the list's web address.")

    def for_existing_list(self) -> ListForm:
        self.name.description += (" Changing it changes where people write, and the links "
                                  "in the messages already sent.")
        return self


class SubscriberForm(FlaskForm):
    email = EmailField("E-mail address",
                       validators=[InputRequired("Enter an e-mail address."),
                                   Length(max=254)],
                       description="Subscribed at once, without a confirmation e-mail: add "
                                   "only people who asked to be on the list.",
                       render_kw={"autocomplete": "off"})
    name = StringField("Name (optional)", validators=[Length(max=200)],
                       render_kw={"autocomplete": "off"})


class SubscriberFilter(Form):
    """The subscribers page's filters, read from the query string (a GET form: no token)."""

    status = SelectField("Status", choices=[SelectChoice(value, label)
                                            for value, label in SUBSCRIBER_FILTERS],
                         default="")
    q = SearchField("E-mail or name", validators=[Length(max=200)],
                    render_kw={"autocomplete": "off"})


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload.")],
                     description="UTF-8 text; the first row names the columns: email, and "
                                 "optionally name.",
                     render_kw={"accept": ".csv,text/csv"})
    mode = RadioField("If some rows have errors", default=imports.ALL_OR_NOTHING, choices=[
        SelectChoice(imports.ALL_OR_NOTHING, "Import nothing, so I can correct the file"),
        SelectChoice(imports.VALID_ROWS, "Import the valid rows and skip the others")])


class PostForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired("Enter a subject."),
                                                 Length(max=300)],
                          render_kw={"autocomplete": "off"})
    body = TextAreaField("Message", validators=[DataRequired("Write the message.")],
                         render_kw={"rows": 16})
    body_format = RadioField(
        "Format", choices=_choices(PostFormat), default=PostFormat.TEXT.value,
        description="With Markdown, subscribers also get an HTML version: *italic*, "
                    "**bold**, [a link](https://example.org), lists starting with “- ”.")


class SendForm(FlaskForm):
    confirm = BooleanField(
        "I have checked the preview and the number of recipients",
        validators=[InputRequired("Tick the box to say you have checked the preview; "
                                  "nothing was sent.")])
