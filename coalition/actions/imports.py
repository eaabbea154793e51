"""Reading an action plan from a CSV file or a plain-text outline (objectives, then their
items), so a coalition can paste the plan it already has. Every line is checked first;
the plan is created only if none is bad.

An outline, one objective per unindented line and one item per indented or bulleted line,
the fiscal years in brackets (optional: an item without them runs in every year)::

    Plan: Action plan FY16-FY18
    Objective: Ensure a safer and more secure online environment for children and youth
    - Facilitate the exchange of information and best practices [FY16-FY18]
        A description of the item, indented under it.

A CSV file has a header naming its columns: objective, item, years (FY16 FY17, or
FY16-FY18), description, and optionally plan. The export's columns are read too (one row
per item and fiscal year; the status, owners and notes are not imported).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from coalition import fiscal
from coalition.actions import services
from coalition.actions.models import ActionPlan
from coalition.actions.services import MAX_YEARS, ItemInput, PlanInput
from coalition.auth.models import Actor
from coalition.errors import ValidationError
from coalition.extensions import db

CSV, OUTLINE = "csv", "outline"
MAX_TITLE, MAX_DESCRIPTION = 300, 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_YEAR = re.compile(r"(?:FY\s*)?(\d{4}|\d{2})", re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:-|–|—|\bto\b)\s*", re.IGNORECASE)
_YEAR_SEPARATORS = re.compile(r"[,;/\s]+|\band\b|&", re.IGNORECASE)
_TRAILING_YEARS = re.compile(r"\s*\[([^\[\]]*)\]\s*$")
_BULLET = re.compile(r"^(?:[-*•+·]|\d+(?:\.\d+)+\.?|\d+[.)]|[a-z][.)])\s+")
_TOP_NUMBER = re.compile(r"^\d+[.)]\s")  # "1." unindented numbers an objective
_PLAN = re.compile(r"^(?:action\s+)?plan\s*:\s*", re.IGNORECASE)
_HEADING = re.compile(r"^#\s+")  # a Markdown title, before any objective: the plan's
_OBJECTIVE = re.compile(r"^(?:#+\s*|(?:key\s+)?objective(?:\s+[\w.]{1,5})?\s*[:.–-]\s*"
                        r"|\d+[.)]\s+)", re.IGNORECASE)
_NAMED_OBJECTIVE = re.compile(r"^(?:key\s+)?objective(?:\s+[\w.]{1,5})?\s*:", re.IGNORECASE)
_ITEM = re.compile(r"^(?:action\s+)?item(?:\s+[\w.]{1,8})?\s*[:.–-]\s*", re.IGNORECASE)

# CSV headers, compared in lower case without spaces or punctuation.
HEADERS = {
    "plan": ("plan", "plantitle", "actionplan"),
    "objective": ("objective", "objectivetitle", "keyobjective", "objectives"),
    "item": ("item", "actionitem", "itemtitle", "title", "action", "items"),
    "years": ("years", "fiscalyears", "fiscalyear", "year", "fy", "fys"),
    "description": ("description", "itemdescription", "details"),
}


@dataclass(frozen=True)
class LineError:
    line: int | None  # None: the file as a whole
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParsedItem:
    line: int
    title: str
    years: list[int] = field(default_factory=list)  # empty: every year of the plan
    description: str | None = None
    year_lines: dict[int, int] = field(default_factory=dict)  # year -> line it came from


@dataclass
class ParsedObjective:
    line: int
    title: str | None  # None: the items that come before any objective
    items: list[ParsedItem] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # default for its items


@dataclass
class PlanImport:
    """What the file holds, checked: the plan to create, or the errors that stop it."""

    format: str
    title: str = ""
    first_year: int | None = None
    last_year: int | None = None
    objectives: list[ParsedObjective] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    file_title: str | None = None

    @property
    def items(self) -> list[ParsedItem]:
        return [item for objective in self.objectives for item in objective.items]

    def years_of(self, item: ParsedItem) -> list[int]:
        if item.years:
            return item.years
        return list(range(self.first_year, self.last_year + 1)) if self.first_year else []

    def summary(self) -> str:
        objectives = sum(1 for o in self.objectives if o.title)
        item_years = sum(len(self.years_of(item)) for item in self.items)
        return (f'"{self.title}" ({fiscal.label(self.first_year)}–'
                f'{fiscal.label(self.last_year)}): {_count(objectives, "objective")}, '
                f'{_count(len(self.items), "item")}, {_count(item_years, "item-year")}')


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- fiscal years -----------------------------------------------------------------------

def parse_year(text: str) -> int:
    """'FY16', '16' or '2016' as 2016; ValueError with a message otherwise."""
    match = _YEAR.fullmatch(text.strip())
    year = int(match.group(1)) if match else None
    if year is not None and year < 100:
        year += 2000
    if year is None or not 1990 <= year <= 2100:
        raise ValueError(f"{text.strip()!r} is not a fiscal year (write FY16, or a range "
                         "such as FY16-FY18)")
    return year


def parse_years(text: str) -> list[int]:
    """'FY16 FY17', 'FY16, FY18', 'FY16-FY18' or 'FY16 to FY18' as a sorted list of years."""
    years: set[int] = set()
    text = _RANGE.sub("-", text.strip())
    for part in filter(None, _YEAR_SEPARATORS.split(text)):
        ends = part.split("-")
        if len(ends) > 2 or not all(ends):
            raise ValueError(f"{part!r} is not a fiscal year or a range such as FY16-FY18")
        first, last = parse_year(ends[0]), parse_year(ends[-1])
        if last < first:
            raise ValueError(f"{part!r} ends before it starts")
        if last - first + 1 > MAX_YEARS:
            raise ValueError(f"{part!r} is longer than a plan ({MAX_YEARS} years at most)")
        years.update(range(first, last + 1))
    return sorted(years)


# --- reading the file -------------------------------------------------------------------

def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError("file", "This is a spreadsheet workbook, not a CSV or text "
                                      "file: save it as CSV UTF-8 first.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("file", "The file is not UTF-8 text: save it as UTF-8 "
                                          "(CSV UTF-8 in Excel) and try again.") from None
    if "\x00" in text:
        raise ValidationError("file", "This is not a text file: give a CSV file or a "
                                      "plain-text outline.")
    if not text.strip():
        raise ValidationError("file", "The file is empty.")
    return text


def _header_key(cell: str) -> str:
    return re.sub(r"[^a-z]", "", cell.lower())


def _delimiter(line: str) -> str:
    counts = {delimiter: line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def detect_format(filename: str, text: str) -> str:
    """By the extension; failing that, a first line that reads as a CSV header means CSV."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in (".csv", ".tsv"):
        return CSV
    if suffix in (".txt", ".text", ".md", ".markdown"):
        return OUTLINE
    first = next((line for line in text.splitlines() if line.strip()), "")
    cells = {_header_key(cell) for cell in next(csv.reader([first],
                                                           delimiter=_delimiter(first)))}
    return CSV if len(cells) > 1 and cells & set(HEADERS["item"]) else OUTLINE


def _text(value: str, what: str, limit: int, line: int, errors: list[LineError]) -> str:
    value = " ".join(value.split())
    if len(value) > limit:
        errors.append(LineError(line, f"the {what} is longer than {limit} characters"))
    return value


def _split_years(value: str, line: int, errors: list[LineError]) -> tuple[str, list[int]]:
    """A title and the fiscal years in brackets at its end, if any."""
    match = _TRAILING_YEARS.search(value)
    if not match:
        return value, []
    try:
        years = parse_years(match.group(1))
    except ValueError as error:
        errors.append(LineError(line, str(error)))
        years = []
    else:
        if not years:
            errors.append(LineError(line, "the brackets hold no fiscal year"))
    return value[:match.start()], years


def read_outline(text: str, result: PlanImport) -> None:
    errors = result.errors
    current: ParsedObjective | None = None
    item: ParsedItem | None = None
    item_indent = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.expandtabs(4).rstrip()
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        bullet = _BULLET.match(stripped)
        plan_title = _PLAN.match(stripped) or (current is None and _HEADING.match(stripped))
        if plan_title:
            if result.file_title is not None:
                errors.append(LineError(number, "a second plan title: import one plan at "
                                                "a time"))
            result.file_title = _text(stripped[plan_title.end():], "plan title", MAX_TITLE,
                                      number, errors)
            if not result.file_title:
                errors.append(LineError(number, "the plan has no title"))
            continue
        if item is not None and indent > item_indent and not bullet and \
                not _OBJECTIVE.match(stripped):
            # Indented under an item, and no bullet: the item's description.
            description = f"{item.description} {stripped}" if item.description else stripped
            item.description = _text(description, "description", MAX_DESCRIPTION,
                                     number, errors)
            continue
        if (indent == 0 and (not bullet or _TOP_NUMBER.match(stripped))) or \
                _NAMED_OBJECTIVE.match(stripped):
            title, years = _split_years(_OBJECTIVE.sub("", stripped, count=1), number, errors)
            title = _text(title, "objective's title", MAX_TITLE, number, errors)
            if not title:
                errors.append(LineError(number, "the objective has no title"))
            current = ParsedObjective(number, title, years=years)
            result.objectives.append(current)
            item = None
            continue
        if current is None:
            current = ParsedObjective(number, None)
            result.objectives.append(current)
        content = _ITEM.sub("", _BULLET.sub("", stripped, count=1), count=1)
        title, years = _split_years(content, number, errors)
        title = _text(title, "item's title", MAX_TITLE, number, errors)
        if not title:
            errors.append(LineError(number, "the item has no title"))
        same = next((i for i in current.items if i.title.lower() == title.lower()), None)
        if title and same is not None:
            errors.append(LineError(number, f"the same item is already on line {same.line}"))
        item = ParsedItem(number, title, years or list(current.years))
        item_indent = indent
        current.items.append(item)


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    value = cells[index].strip()
    # Undo the export's protection against formulas, so a round trip changes nothing.
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        value = value[1:]
    return value


def read_csv(text: str, result: PlanImport) -> None:
    errors = result.errors
    reader = csv.reader(io.StringIO(text, newline=""),
                        delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        header = next(reader)
    except csv.Error as error:
        errors.append(LineError(1, f"not valid CSV ({error})"))
        return
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = next((k for k, names in HEADERS.items() if _header_key(name) in names), None)
        if key is None or key in columns:
            if name.strip():
                result.ignored_columns.append(name.strip())
            continue
        columns[key] = index
    if "item" not in columns:
        errors.append(LineError(1, "the header has no item column (name the columns "
                                   "objective, item, years, description)"))
        return
    objectives: dict[str, ParsedObjective] = {}
    line = reader.line_num
    try:
        for cells in reader:
            number, line = line + 1, reader.line_num
            _csv_row(cells, number, columns, objectives, result)
    except csv.Error as error:
        errors.append(LineError(line + 1, f"not valid CSV ({error})"))


def _csv_row(cells: list[str], number: int, columns: dict[str, int],
             objectives: dict[str, ParsedObjective], result: PlanImport) -> None:
    errors = result.errors
    if not any(cell.strip() for cell in cells):
        return
    plan = _text(_cell(cells, columns.get("plan")), "plan title", MAX_TITLE, number, errors)
    if plan and result.file_title is None:
        result.file_title = plan
    elif plan and plan != result.file_title:
        errors.append(LineError(number, f"a second plan ({plan!r}): import one plan at a "
                                        "time"))
    objective_title = _text(_cell(cells, columns.get("objective")), "objective's title",
                            MAX_TITLE, number, errors)
    title = _text(_cell(cells, columns.get("item")), "item's title", MAX_TITLE, number, errors)
    description = _text(_cell(cells, columns.get("description")), "description",
                        MAX_DESCRIPTION, number, errors) or None
    try:
        years = parse_years(_cell(cells, columns.get("years")))
    except ValueError as error:
        errors.append(LineError(number, str(error)))
        years = []
    key = objective_title.lower()
    objective = objectives.get(key)
    if objective is None and (title or objective_title):
        objective = objectives[key] = ParsedObjective(number, objective_title or None)
        result.objectives.append(objective)
    if not title:
        if years or description:
            errors.append(LineError(number, "the row has no item"))
        return
    item = next((i for i in objective.items if i.title.lower() == title.lower()), None)
    if item is None:
        item = ParsedItem(number, title, description=description)
        objective.items.append(item)
    elif not years or not item.years:
        errors.append(LineError(number, f"the same item is already on line {item.line}"))
        return
    for year in years:
        if year in item.year_lines:
            errors.append(LineError(number, f"{fiscal.label(year)} of this item is already "
                                            f"on line {item.year_lines[year]}"))
        item.year_lines.setdefault(year, number)
    item.years = sorted(set(item.years) | set(years))
    item.description = item.description or description


# --- checking and writing ---------------------------------------------------------------

def read_plan(data: bytes, filename: str = "", title: str | None = None,
              first_year: int | None = None, last_year: int | None = None) -> PlanImport:
    """Read and check the file; the options override the file's title and years. Raises
    ValidationError for a file that cannot be read at all; every bad line is in `errors`."""
    text = _decode(data)
    result = PlanImport(format=detect_format(filename, text))
    (read_csv if result.format == CSV else read_outline)(text, result)
    _check_plan(result, title, first_year, last_year)
    result.errors.sort(key=lambda error: error.line or 0)
    return result


def _check_plan(result: PlanImport, title: str | None, first: int | None,
                last: int | None) -> None:
    errors = result.errors
    if not result.items and not any(o.title for o in result.objectives):
        errors.append(LineError(None, "The file has no objectives and no items."))
    named = sorted({year for item in result.items for year in item.years})
    first = first if first is not None else named[0] if named else last
    last = last if last is not None else named[-1] if named else first
    if first is None or last is None:
        errors.append(LineError(None, "No fiscal years: give --first and --last, or write "
                                      "the years after the items, such as [FY16-FY18]."))
        return
    if last < first:
        errors.append(LineError(None, "The last fiscal year comes before the first."))
        return
    if last - first + 1 > MAX_YEARS:
        errors.append(LineError(None, f"A plan covers at most {MAX_YEARS} fiscal years."))
        return
    result.first_year, result.last_year = first, last
    for item in result.items:
        outside = [year for year in item.years if not first <= year <= last]
        if outside:
            errors.append(LineError(item.line, f"{fiscal.label(outside[0])} is outside the "
                                               f"plan ({fiscal.label(first)}–"
                                               f"{fiscal.label(last)})"))
    result.title = " ".join((title or "").split()) or result.file_title or \
        f"Action plan {fiscal.label(first)}–{fiscal.label(last)}"
    if len(result.title) > MAX_TITLE:
        errors.append(LineError(None, f"The plan's title is longer than {MAX_TITLE} "
                                      "characters."))


def create_plan(actor: Actor, result: PlanImport) -> ActionPlan:
    """Create the checked plan (not published) with its objectives and items; only
    flushes. Raises ValidationError (naming the line) if a service refuses anything."""
    if result.errors:
        raise ValidationError("file", f"{len(result.errors)} lines have errors.")
    plan = services.create_plan(actor, PlanInput(title=result.title,
                                                 first_year=result.first_year,
                                                 last_year=result.last_year))
    db.session.flush()
    for parsed in result.objectives:
        line = parsed.line
        try:
            objective = services.create_objective(actor, plan, parsed.title) \
                if parsed.title else None
            db.session.flush()
            for item in parsed.items:
                line = item.line
                services.create_item(actor, plan, ItemInput(
                    title=item.title, description=item.description,
                    objective_id=objective.id if objective else None,
                    years=result.years_of(item)))
        except ValidationError as error:
            raise ValidationError(error.field, f"Line {line}: {error.message}") from error
    db.session.flush()
    return plan
