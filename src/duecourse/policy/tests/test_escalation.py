"""Escalation policy, pure: the lenient reader the scheduler uses and the strict validation the settings
page and API use live in one module."""

import pytest

from duecourse.core.errors import ValidationFailed
from duecourse.policy.escalation import DEFAULT_ESCALATION, escalation_tiers, flag_after_days, validated_escalation


def test_malformed_tiers_are_skipped():
    tiers = escalation_tiers({"escalation": [{"after_days": "x"}, {"after_days": 3, "to": "ceo"}, {"after_days": 4}]})
    assert tiers == [{"after_days": 4, "to": None, "flag": False}]
    assert escalation_tiers({}) == DEFAULT_ESCALATION


def test_the_flag_goes_up_at_the_earliest_flagging_tier():
    assert flag_after_days(DEFAULT_ESCALATION) == 15
    assert flag_after_days([{"after_days": 3, "to": "hr", "flag": False}]) is None
    tiers = [{"after_days": 20, "to": None, "flag": True}, {"after_days": 9, "to": "hr", "flag": True}]
    assert flag_after_days(tiers) == 9


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ("x", "escalation"),
        ([{"after_days": 366, "to": "hr"}], "escalation.0.after_days"),
        ([{"after_days": 1, "to": "ceo"}], "escalation.0.to"),
        ([{"after_days": 1, "to": None, "flag": False}], "escalation.0"),
        ([{"after_days": 1, "to": "hr"}, {"after_days": 1, "to": "hr"}], "escalation"),
    ],
)
def test_validation_names_the_bad_field(tiers, field):
    with pytest.raises(ValidationFailed) as caught:
        validated_escalation(tiers)
    assert caught.value.errors[0].field == field


def test_valid_tiers_come_back_sorted_and_the_reader_reads_them_unchanged():
    clean = validated_escalation([{"after_days": 9, "to": None, "flag": True}, {"after_days": 0, "to": "manager"}])
    assert clean == [{"after_days": 0, "to": "manager", "flag": False}, {"after_days": 9, "to": None, "flag": True}]
    assert escalation_tiers({"escalation": clean}) == clean
