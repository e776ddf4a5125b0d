"""The priorities module and the limits the API schemas and forms take from `assignments.limits`."""

from duecourse.assignments import limits
from duecourse.assignments.forms import AssignForm, BulkRemindersForm
from duecourse.assignments.priorities import DEFAULT_PRIORITY, PRIORITY_RANK, Priority, priority_rank
from duecourse.assignments.schemas import AssignmentIn, BulkIn, ReminderRule, RuleIn


class TestPriorities:
    def test_high_first_unknown_last(self):
        assert sorted(Priority, key=priority_rank) == [Priority.HIGH, Priority.MEDIUM, Priority.LOW]
        assert priority_rank("urgent") > max(PRIORITY_RANK.values())

    def test_default_and_labels(self):
        assert DEFAULT_PRIORITY == "medium"
        assert dict(Priority.choices) == {"high": "High", "medium": "Medium", "low": "Low"}


class TestSchemasUseTheLimits:
    def test_reminder_rules(self):
        for schema in (AssignmentIn, BulkIn, RuleIn):
            reminders = schema.model_json_schema()["properties"]["reminders"]["anyOf"][0]
            assert reminders["maxItems"] == limits.MAX_REMINDER_RULES
        days = ReminderRule.model_json_schema()["properties"]["days"]
        assert (days["minimum"], days["maximum"]) == (-limits.MAX_REMINDER_DAYS, limits.MAX_REMINDER_DAYS)

    def test_timing_and_text(self):
        properties = AssignmentIn.model_json_schema()["properties"]
        assert properties["due_in_days"]["anyOf"][0]["maximum"] == limits.MAX_DUE_DAYS
        assert properties["validity_months"]["anyOf"][0]["maximum"] == limits.MAX_VALIDITY_MONTHS
        assert properties["recurrence_weeks"]["anyOf"][0]["maximum"] == limits.MAX_RECURRENCE_WEEKS
        assert properties["note"]["maxLength"] == limits.MAX_NOTE_LENGTH

    def test_forms(self):
        form = AssignForm()
        assert form.fields["due_in_days"].max_value == limits.MAX_DUE_DAYS
        assert form.fields["note"].max_length == limits.MAX_NOTE_LENGTH
        assert form.fields["priority"].choices == Priority.choices
        assert BulkRemindersForm().fields["r1_days"].max_value == limits.MAX_REMINDER_DAYS
