"""Form fields every area uses."""

from __future__ import annotations

import re
from datetime import date

from wtforms import Field
from wtforms.widgets import TextInput

DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class TextDateField(Field):
    """A date typed as YYYY-MM-DD in a plain text box: the browser's date picker puts a
    calendar button in the tab order without a visible focus ring, and typing is quicker."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        match = DATE.fullmatch(text)
        try:
            self.data = date(*map(int, match.groups())) if match else None
        except ValueError:
            raise ValueError(f"{text} is not a date in the calendar.") from None
        if self.data is None:
            raise ValueError("Write the date as YYYY-MM-DD, for example 2016-11-30.")
