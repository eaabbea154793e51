"""The focal contact's report forms: they parse and show input; the rules (slugs, tags,
file kinds, publishing) live in services.py, so the command line and the API obey them too."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from coalition.forms import TextDateField
from coalition.reports import files, languages
from coalition.reports.models import ReportType, Visibility

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def _type_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Choose a type")] + [SelectChoice(t.value, t.label)
                                                 for t in ReportType]


class ReportForm(FlaskForm):
    """What a report says about itself (the edit page; the new-report form adds the rest)."""

    title = StringField("Title", validators=[DataRequired("Give the report a title."),
                                             Length(max=300)])
    type = SelectField("Type", choices=_type_choices(), default="",
                       validators=[InputRequired("Choose the type of report.")])
    published_on = TextDateField(
        "Publication date", validators=[InputRequired("Give the publication date.")],
        description="YYYY-MM-DD, for example 2016-11-30.",
        render_kw={"inputmode": "numeric", "placeholder": "YYYY-MM-DD", "autocomplete": "off"})
    fiscal_year = StringField("Fiscal year (optional)", validators=[Optional(), Length(max=8)],
                              render_kw={"autocomplete": "off"})
    authors = TextAreaField("Authors", validators=[Optional(), Length(max=5000)],
                            description="One per line: people or organizations, in the order "
                                        "a citation names them.",
                            render_kw={"rows": 3})
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20000)],
                            description="A paragraph or two: what the report is about and "
                                        "what it finds.",
                            render_kw={"rows": 6})
    language = SelectField("Language", choices=[SelectChoice(code, name)
                                                for code, name in languages.choices()],
                           default="en")
    tags = StringField("Tags (optional)", validators=[Optional(), Length(max=1500)],
                       description="Separated by commas, for example: age verification, "
                                   "online safety.", render_kw={"autocomplete": "off"})
    external_url = StringField("External link (optional)",
                               validators=[Optional(), Length(max=1000)],
                               description="Where the report is also published, for example "
                                           "https://www.intgovforum.org/… (starts with "
                                           "https://).",
                               render_kw={"inputmode": "url", "autocomplete": "off"})
    slug = StringField("Address (optional)", validators=[Optional(), Length(max=100)],
                       description="The end of the report's address, /reports/…: lower-case "
                                   "letters, digits and hyphens. Leave empty to make it from "
                                   "the title.", render_kw={"autocomplete": "off"})

    def __init__(self, *args, fy_start_month: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        start = MONTHS[fy_start_month - 1]
        self.fiscal_year.description = (
            "For example FY16. Leave empty to take the fiscal year of the publication date "
            f"(fiscal years start in {start}).")

    def freeze_slug(self, slug: str) -> None:
        """A published report's address may be cited: show it, but do not let it change."""
        self.slug.data = slug
        self.slug.render_kw = {**(self.slug.render_kw or {}), "disabled": True}
        self.slug.description = ("This report has been published, so its address "
                                 f"/reports/{slug} may be cited elsewhere: it cannot change.")


def _visibility_choices() -> list[SelectChoice]:
    return [SelectChoice(Visibility.DRAFT.value, "Draft: only focal contacts see it"),
            SelectChoice(Visibility.MEMBERS.value, "Members only: signed-in members see it"),
            SelectChoice(Visibility.PUBLIC.value, "Public: everyone sees it")]


class FileFields:
    """One file and what it is (mixed into the forms that upload)."""

    file = FileField("File", description="A PDF (recognised by its content, not its name); "
                                         "other kinds only if allowed on the file types "
                                         "page.")
    label = StringField("What the file is (optional)", validators=[Optional(), Length(max=200)],
                        description="For example: Full report, or Executive summary (French). "
                                    "Without it the page shows the file name.",
                        render_kw={"autocomplete": "off"})


class NewReportForm(ReportForm, FileFields):
    visibility = RadioField("Who can see it", choices=_visibility_choices(),
                            default=Visibility.DRAFT.value)


class AddFileForm(FlaskForm, FileFields):
    pass


class ReplaceFileForm(FlaskForm):
    file = FileField("New version of the file",
                     description="A PDF (recognised by its content, not its name); other kinds "
                                 "only if allowed on the file types page.")
    label = StringField("What the file is (optional)", validators=[Optional(), Length(max=200)],
                        render_kw={"autocomplete": "off"})


class FileTypesForm(FlaskForm):
    kinds = SelectMultipleField(
        "Kinds of file accepted besides PDF",
        choices=[SelectChoice(kind.code, kind.label) for kind in files.OPTIONAL_KINDS],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
