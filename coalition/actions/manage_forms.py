"""The focal contact's action-plan forms (plan, objective, item, owners): they parse and
show input; the rules live in services.py, so the API and the command line obey them too."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (
    Field,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from coalition import fiscal
from coalition.forms import TextDateField

FOUR_DIGITS = re.compile(r"\s*(\d{4})\s*")


def parse_year(text: str | None) -> int | None:
    """'FY16', 'fy 16', '16' or '2016' as 2016 (the year a fiscal year is named by); None
    if it is none of these."""
    label = fiscal.parse(text or "")
    if label is None:
        return None
    four = FOUR_DIGITS.fullmatch(text or "")
    return int(four.group(1)) if four else int("20" + label[2:])


class FiscalYearField(Field):
    """A fiscal year typed as FY16 or 2016, held as the four-digit year (2016)."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return fiscal.label(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        self.data = parse_year(text)
        if self.data is None:
            raise ValueError(f"“{text}” is not a fiscal year: write it as FY16 or 2016.")


def _year_field(label: str, missing: str) -> FiscalYearField:
    return FiscalYearField(label, validators=[InputRequired(missing)],
                           description="For example FY16 (or 2016).",
                           render_kw={"autocomplete": "off", "size": 6})


class PlanForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the plan a title."),
                                             Length(max=300)],
                        render_kw={"autocomplete": "off"})
    description = TextAreaField("Description (optional)",
                                validators=[Optional(), Length(max=20000)],
                                description="What the plan is for; shown above the board.",
                                render_kw={"rows": 5})
    first_year = _year_field("First fiscal year", "Give the first fiscal year.")
    last_year = _year_field("Last fiscal year", "Give the last fiscal year.")


class ObjectiveForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the objective a title."),
                                             Length(max=300)],
                        description="For example: Ensure a safer and more secure online "
                                    "environment for children and youth.",
                        render_kw={"autocomplete": "off"})
    description = TextAreaField("Description (optional)",
                                validators=[Optional(), Length(max=5000)],
                                render_kw={"rows": 4})


class OptionalIdField(SelectField):
    """A select of ids whose blank option stands for "none" (None)."""

    def process_data(self, value):
        super().process_data("" if value is None else str(value))

    @property
    def id_or_none(self) -> int | None:
        return int(self.data) if self.data and str(self.data).isdigit() else None


class ItemForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the item a title."),
                                             Length(max=300)],
                        description="For example: Facilitate the exchange of information "
                                    "and best practices between countries and regions.",
                        render_kw={"autocomplete": "off"})
    description = TextAreaField("Description (optional)",
                                validators=[Optional(), Length(max=5000)],
                                render_kw={"rows": 4})
    objective_id = OptionalIdField("Objective", default="", validate_choice=False)
    years = SelectMultipleField("Fiscal years it runs in", coerce=int,
                                widget=ListWidget(prefix_label=False),
                                option_widget=CheckboxInput())

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.objective_id.choices = [SelectChoice("", "No objective")] + [
            SelectChoice(str(o.id), o.title) for o in plan.objectives if not o.is_archived]
        self.years.choices = [SelectChoice(year, fiscal.label(year)) for year in plan.years]


class OwnersForm(FlaskForm):
    members = SelectMultipleField(
        "Members", coerce=int, validate_choice=False,
        description="Active members, by name. Hold Ctrl (Command on a Mac) to choose "
                    "several, or to take one away.")
    organizations = SelectMultipleField(
        "Organizations", coerce=int, validate_choice=False,
        description="All the organization's active members may update the item.")
    due_on = TextDateField(
        "Due date (optional)", description="YYYY-MM-DD, for example 2016-11-30.",
        render_kw={"inputmode": "numeric", "placeholder": "YYYY-MM-DD",
                   "autocomplete": "off"})
    version = HiddenField()

    def __init__(self, *args, members=(), organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members.choices = [SelectChoice(m.id, _member_label(m)) for m in members]
        self.organizations.choices = [SelectChoice(o.id, o.display_name)
                                      for o in organizations]
        size = {"size": min(12, max(4, len(self.members.choices)))}
        self.members.render_kw = size
        self.organizations.render_kw = {"size": min(8, max(4, len(self.organizations.choices)))}

    @property
    def expected_version(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None


def _member_label(member) -> str:
    return f"{member.name} — {member.organization_label}" if member.organization_label \
        else member.name

