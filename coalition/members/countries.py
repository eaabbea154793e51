"""ISO 3166-1 countries and the UN regional group of each (data/countries.csv)."""

from __future__ import annotations

import csv
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from coalition.members.models import Region

DATA = Path(__file__).parent / "data" / "countries.csv"


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: Region


@functools.cache
def all_countries() -> dict[str, Country]:
    """Code → country, in code order."""
    with open(DATA, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["code"]: Country(row["code"], row["name"], Region(row["region"]))
                for row in rows}


def _key(text: str) -> str:
    """Case, accents and punctuation do not matter when matching a typed name."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


# Names people commonly write that differ from the ones in the data file.
ALIASES = {
    "uk": "GB", "greatbritain": "GB", "england": "GB", "usa": "US", "unitedstatesofamerica": "US",
    "russianfederation": "RU", "russia": "RU", "turkey": "TR", "turkiye": "TR",
    "ivorycoast": "CI", "cotedivoire": "CI", "czechrepublic": "CZ", "holland": "NL",
    "southkorea": "KR", "republicofkorea": "KR", "northkorea": "KP", "vietnam": "VN",
    "laos": "LA", "syria": "SY", "iran": "IR", "bolivia": "BO", "venezuela": "VE",
    "tanzania": "TZ", "moldova": "MD", "drc": "CD", "democraticrepublicofthecongo": "CD",
    "capeverde": "CV", "swaziland": "SZ", "macedonia": "MK", "burma": "MM",
    "eastimor": "TL", "palestine": "PS", "vatican": "VA",
}


@functools.cache
def _by_name() -> dict[str, str]:
    names = {_key(country.name): code for code, country in all_countries().items()}
    names.update(ALIASES)
    return names


def find(value: str | None) -> Country | None:
    """The country for a code ("ke", "KE") or a name ("Kenya", "Côte d'Ivoire"), or None."""
    value = (value or "").strip()
    if not value:
        return None
    countries = all_countries()
    if len(value) == 2 and value.upper() in countries:
        return countries[value.upper()]
    code = _by_name().get(_key(value))
    return countries.get(code) if code else None


def region_of(code: str | None) -> Region:
    country = all_countries().get(code or "")
    return country.region if country else Region.UNASSIGNED


def name_of(code: str | None) -> str | None:
    country = all_countries().get(code or "")
    return country.name if country else None


def choices() -> list[tuple[str, str]]:
    """(code, name) sorted by name, for a select box."""
    return sorted(((c.code, c.name) for c in all_countries().values()), key=lambda c: c[1])
