"""The organisation-settings page: browser input shaped into the dict `policy.services` validates."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duecourse.assignments.domain import RECIPIENT_LABELS
from duecourse.assignments.forecast import (
    DEFAULT_LEARNING_MINUTES_PER_DAY,
    MAX_LEARNING_MINUTES_PER_DAY,
    MIN_LEARNING_MINUTES_PER_DAY,
)
from duecourse.assignments.forms import BulkRemindersForm
from duecourse.assignments.limits import DEFAULT_RECERT_WINDOW_DAYS, MAX_RECERT_WINDOW_DAYS
from duecourse.policy.escalation import ESCALATION_RECIPIENTS, MAX_ESCALATION_DAYS
from duecourse.policy.services import MAX_OVERLOAD_MINUTES

ESCALATION_ROWS = 4
NOBODY = ""


class OverloadForm(forms.Form):
    overload_minutes_30d = forms.IntegerField(
        min_value=1,
        max_value=MAX_OVERLOAD_MINUTES,
        label=_("Overload threshold (minutes due in 30 days)"),
        help_text=_(
            "The bulk-assignment preview flags people whose open training due in the next 30 days would exceed this."
        ),
    )
    learning_minutes_per_day = forms.IntegerField(
        required=False,
        min_value=MIN_LEARNING_MINUTES_PER_DAY,
        max_value=MAX_LEARNING_MINUTES_PER_DAY,
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_LEARNING_MINUTES_PER_DAY)}),
        label=_("Learning minutes per day"),
        help_text=format_lazy(
            _(
                "How long a person is expected to learn each working day: training not yet started is at risk "
                "when its estimate needs more working days than are left before it is due. Empty: the standard "
                "{minutes} minutes."
            ),
            minutes=DEFAULT_LEARNING_MINUTES_PER_DAY,
        ),
    )


class OrganisationForm(forms.Form):
    timezone = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"list": "dl-timezone", "placeholder": "UTC", "autocomplete": "off"}),
        label=_("Organisation time zone"),
        help_text=_(
            "The organisation's calendar day for the daily compliance snapshot (the trend's weeks). "
            "Each person's due dates and reminders follow their own time zone. Empty: UTC."
        ),
    )
    managers_assign_down_the_line = forms.BooleanField(
        required=False,
        label=_("Managers may assign down the line"),
        help_text=_(
            "Managers may assign training to, remind and extend due dates for everyone below them at any level, "
            "not only their direct reports. Off: direct reports only; indirect reports are view-only."
        ),
    )


class RecertificationForm(forms.Form):
    recert_window_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_RECERT_WINDOW_DAYS,
        widget=forms.NumberInput(attrs={"placeholder": str(DEFAULT_RECERT_WINDOW_DAYS)}),
        label=_("Recertification window (days before expiry)"),
        help_text=format_lazy(
            _(
                "Completed training with a validity comes back this many days before the completion expires, "
                "due on the expiry date. Empty: the standard {days} days. A training configuration may set its "
                "own window. Never more than half the validity: a shorter validity re-opens halfway."
            ),
            days=DEFAULT_RECERT_WINDOW_DAYS,
        ),
    )


class DefaultPlanForm(BulkRemindersForm):
    """The reminder plan of assignments saved without their own (the bulk wizard's reminder step)."""


class EscalationForm(forms.Form):
    """Up to four tiers: days overdue, who is told, and whether the compliance flag goes up."""

    def __init__(self, *args, tiers: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(NOBODY, _("Nobody")), *((r, RECIPIENT_LABELS[r]) for r in ESCALATION_RECIPIENTS)]
        for n in range(1, ESCALATION_ROWS + 1):
            self.fields[f"e{n}_after_days"] = forms.IntegerField(
                required=False, min_value=0, max_value=MAX_ESCALATION_DAYS, label=_("Days overdue")
            )
            self.fields[f"e{n}_to"] = forms.ChoiceField(
                required=False, choices=choices, label=pgettext_lazy("escalation", "Tell")
            )
            self.fields[f"e{n}_flag"] = forms.BooleanField(required=False, label=_("Compliance flag"))
        if not self.is_bound:
            for n, tier in enumerate((tiers or [])[:ESCALATION_ROWS], start=1):
                self.initial[f"e{n}_after_days"] = tier["after_days"]
                self.initial[f"e{n}_to"] = tier["to"] or NOBODY
                self.initial[f"e{n}_flag"] = tier["flag"]

    def rows(self):
        return [(self[f"e{n}_after_days"], self[f"e{n}_to"], self[f"e{n}_flag"]) for n in range(1, ESCALATION_ROWS + 1)]

    def tiers(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {"after_days": data[f"e{n}_after_days"], "to": data[f"e{n}_to"] or None, "flag": data[f"e{n}_flag"]}
            for n in range(1, ESCALATION_ROWS + 1)
            if data.get(f"e{n}_after_days") is not None
        ]
