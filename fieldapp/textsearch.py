"""Matching what people type in a search box: word by word, case-insensitively, so
"Okonkwo Reyes" finds "Okonkwo + Reyes" and "reyes oko" finds it too."""

from __future__ import annotations

import re

import sqlalchemy as sa

MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")  # letters and digits; punctuation, spacing and _ set aside


def _words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def words_of(text: str) -> list[str]:
    """The words of a search (letters and digits; punctuation and spacing set aside)."""
    return _words(text)[:MAX_WORDS]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def all_words_in(text: str, *columns: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Every word of text appears in one of the columns (true when text has no words)."""
    return sa.and_(
        sa.true(),
        *(
            sa.or_(*(sa.func.lower(column).like(_like(word), escape="\\") for column in columns))
            for word in words_of(text)
        ),
    )


def rank(text: str, *values: str) -> int:
    """How well the values answer the search, 0 to 3: 3 one of them is it (case, spacing and
    punctuation aside), 2 one starts with it, 1 every word starts a word of one, else 0."""
    wanted = " ".join(words_of(text))
    if not wanted:
        return 0
    best = 0
    for value in values:
        words = _words(value)
        plain = " ".join(words)
        if plain == wanted:
            return 3
        if plain.startswith(wanted):
            best = max(best, 2)
        elif all(any(w.startswith(part) for w in words) for part in wanted.split()):
            best = max(best, 1)
    return best
