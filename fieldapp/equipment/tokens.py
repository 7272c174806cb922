"""QR tokens: random, unambiguous, and forgiving when typed by hand."""

from __future__ import annotations

import re
import secrets

from fieldapp.equipment.models import SHORT_CODE_PREFIX

# No 0/O, 1/I/L: a tech reading a scuffed label in a dim room must not confuse them.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TOKEN_LENGTH = 8
# The longest text taken as a code (a pasted label URL's tail, a short code with spaces).
CODE_LENGTH = 40
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def new_token() -> str:
    """A fresh token: 8 characters of a 31-letter alphabet (about 40 bits), never a database id."""
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def normalise_code(text: str) -> str | None:
    """A typed short code or token in any case, with or without dashes, as the stored token.

    Returns None when the text cannot be a token, so callers can answer "not a FieldApp code".
    """
    cleaned = _NOT_ALNUM.sub("", text.upper())
    if len(cleaned) == TOKEN_LENGTH + len(SHORT_CODE_PREFIX) and cleaned.startswith(
        SHORT_CODE_PREFIX
    ):
        cleaned = cleaned[len(SHORT_CODE_PREFIX) :]
    if len(cleaned) != TOKEN_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned
