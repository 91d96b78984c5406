"""`json_number`, the API's one convention for figures: whole values as integers, others rounded to 3
decimals, whatever the input type (the API's totals are Decimals straight from the database)."""

import math
from decimal import Decimal

import pytest

from oap.formats import json_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (Decimal("120.000"), 120),
        (Decimal("1E+3"), 1000),
        (Decimal("-0.000"), 0),
        ("80", 80),
        (7, 7),
        (3.0, 3),
        (Decimal("35.500"), 35.5),
        (Decimal("12.0005"), 12.0),  # rounded half to even, as Decimal rounds
        (Decimal("12.0015"), 12.002),
        ("1250.5", 1250.5),
        (Decimal("1e-9"), 0.0),
        (0.1, 0.1),
    ],
)
def test_whole_values_are_integers_others_three_decimals(value, expected):
    found = json_number(value)
    assert found == expected
    assert type(found) is type(expected)


def test_not_a_number_stays_not_a_number_and_infinity_is_refused():
    assert math.isnan(json_number(Decimal("NaN")))
    with pytest.raises(OverflowError):
        json_number(Decimal("Infinity"))
