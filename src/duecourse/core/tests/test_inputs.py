"""The typed service inputs: which fields a caller gave is kept apart from their values."""

import pytest
from pydantic import ValidationError

from duecourse.core.inputs import ServiceInput


class Example(ServiceInput):
    first: str | None = None
    second: int | None = None
    third: list[int] | None = None


def test_given_holds_exactly_the_fields_given_in_declaration_order():
    assert Example().given() == {}
    assert list(Example(third=[1], first=None).given().items()) == [("first", None), ("third", [1])]


def test_inputs_are_frozen_and_know_their_fields():
    example = Example(first="a")
    with pytest.raises(ValidationError):
        example.first = "b"
    with pytest.raises(ValidationError):
        Example(fourth=1)
