"""Norwegian organisation numbers (organisasjonsnummer) and their check digit.

The rule is Brønnøysundregistrene's modulus 11 (https://www.brreg.no/om-oss/registrene-vare/
om-enhetsregisteret/organisasjonsnummeret/): nine digits; the first eight are weighted
3, 2, 7, 6, 5, 4, 3, 2 and summed; the control digit is 11 − (sum mod 11), where a result
of 11 gives 0 and a result of 10 means no valid number has these eight digits.
"""

from __future__ import annotations

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def normalize_org_number(text: str | None) -> str:
    """The digits of ``text`` with spaces (``974 760 673``) dropped; other characters kept,
    so that :func:`is_valid_org_number` refuses them."""
    return "".join((text or "").split())


def control_digit(first_eight: str) -> int | None:
    """The control digit for the first eight digits, or ``None`` when the rule gives 10
    (no organisation number can start with these digits)."""
    remainder = 11 - sum(int(d) * w for d, w in zip(first_eight, WEIGHTS, strict=True)) % 11
    if remainder == 11:
        return 0
    return None if remainder == 10 else remainder


def is_valid_org_number(text: str | None) -> bool:
    """Whether ``text`` is a valid organisation number: nine ASCII digits (spaces allowed
    between them) whose last digit is the modulus 11 control digit of the first eight.

    >>> is_valid_org_number("974760673")  # Brønnøysundregistrene
    True
    >>> is_valid_org_number("974760672")
    False
    """
    number = normalize_org_number(text)
    if len(number) != 9 or not number.isascii() or not number.isdigit():
        return False
    return control_digit(number[:8]) == int(number[8])
