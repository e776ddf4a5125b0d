"""The audit sample's inputs on the exports page (the API takes the same names: percent, seed, from, to)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from duecourse.reports.exports import MAX_PERCENT, MAX_SEED, MIN_PERCENT


class AuditSampleForm(forms.Form):
    percent = forms.IntegerField(
        min_value=MIN_PERCENT,
        max_value=MAX_PERCENT,
        initial=10,
        label=_("Percent of completions"),
        help_text=format_lazy(
            _("A whole number from {low} to {high}; the count is rounded up."), low=MIN_PERCENT, high=MAX_PERCENT
        ),
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        label=_("Seed"),
        help_text=_("Optional. The same seed draws the same sample again; the file name shows the seed used."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are Python keywords, so these two are added by name.
        self.fields["from"] = forms.DateField(
            required=False, label=_("Completed from"), widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            required=False, label=_("Completed to"), widget=forms.DateInput(attrs={"type": "date"})
        )
