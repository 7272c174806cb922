"""QR tokens: unambiguous, unguessable, forgiving when typed."""

from __future__ import annotations

import pytest

from fieldapp.equipment.models import short_code
from fieldapp.equipment.tokens import ALPHABET, new_token, normalise_code


def test_tokens_use_the_unambiguous_alphabet_and_vary():
    tokens = {new_token() for _ in range(500)}
    assert len(tokens) == 500
    for token in tokens:
        assert len(token) == 8
        assert set(token) <= set(ALPHABET)
    assert not set("0O1IL") & set(ALPHABET)


def test_short_code_format():
    assert short_code("7K3Q9XA4") == "PM-7K3Q-9XA4"


@pytest.mark.parametrize(
    ("typed", "token"),
    [
        ("PM-7K3Q-9XA4", "7K3Q9XA4"),
        ("pm-7k3q-9xa4", "7K3Q9XA4"),
        ("pm7k3q9xa4", "7K3Q9XA4"),
        (" 7K3Q 9XA4 ", "7K3Q9XA4"),
        ("7k3q-9xa4", "7K3Q9XA4"),
        ("PMPM7K3Q", "PMPM7K3Q"),  # a token may itself start with PM
    ],
)
def test_typed_codes_are_case_and_dash_insensitive(typed, token):
    assert normalise_code(typed) == token


@pytest.mark.parametrize(
    "typed", ["", "PM-7K3Q", "7K3Q9XA4Z", "7K3Q9XO4", "7K3Q9X14", "https://evil.example/e/x", "../"]
)
def test_not_a_code(typed):
    assert normalise_code(typed) is None
