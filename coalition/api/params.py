"""Reading an API request's query parameters strictly: an unknown, repeated or malformed
parameter is a 422 naming it (a misspelt filter would otherwise return everything)."""

from __future__ import annotations

from flask import request

from coalition.api.auth import invalid_parameter


def check_parameters(allowed: tuple[str, ...], repeatable: tuple[str, ...] = ()) -> None:
    for name in request.args:
        if name not in allowed:
            listed = ", ".join(allowed) if allowed else "none"
            raise invalid_parameter(name, f"not a parameter of this endpoint (it takes: "
                                          f"{listed}).")
        if name not in repeatable and len(request.args.getlist(name)) > 1:
            raise invalid_parameter(name, "give it once.")


def text(name: str) -> str:
    return request.args.get(name, "").strip()


def whole_number(name: str, default: int | None, maximum: int | None = None) -> int | None:
    value = text(name)
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise invalid_parameter(name, f"must be a whole number of at least 1, not {value!r}.")
    if maximum is not None and int(value) > maximum:
        raise invalid_parameter(name, f"must be at most {maximum}.")
    return int(value)


def one_of(name: str, vocabulary: list[str]) -> str:
    value = text(name)
    if value and value not in vocabulary:
        raise invalid_parameter(name, f"{value!r} is not one of {', '.join(vocabulary)}.")
    return value
