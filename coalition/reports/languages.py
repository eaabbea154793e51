"""The languages a report can be in (ISO 639-1 codes): the six UN languages first, then
others coalitions publish in."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese",
    "ru": "Russian",
    "am": "Amharic", "bn": "Bengali", "de": "German", "el": "Greek", "fa": "Persian",
    "fil": "Filipino", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "ms": "Malay", "nl": "Dutch",
    "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "sv": "Swedish", "sw": "Swahili",
    "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
    "yo": "Yoruba", "zu": "Zulu", "mul": "Several languages",
}


def name_of(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "")


def choices() -> list[tuple[str, str]]:
    return list(LANGUAGES.items())
