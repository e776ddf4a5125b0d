"""The audit sample's inputs on the exports page (the API takes the same names: percent, seed, from, to)."""

from django import forms

from duecourse.reports.exports import MAX_PERCENT, MAX_SEED, MIN_PERCENT


class AuditSampleForm(forms.Form):
    percent = forms.IntegerField(
        min_value=MIN_PERCENT,
        max_value=MAX_PERCENT,
        initial=10,
        label="Percent of completions",
        help_text=f"A whole number from {MIN_PERCENT} to {MAX_PERCENT}; the count is rounded up.",
    )
    seed = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        label="Seed",
        help_text="Optional. The same seed draws the same sample again; the file name shows the seed used.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are Python keywords, so these two are added by name.
        self.fields["from"] = forms.DateField(
            required=False, label="Completed from", widget=forms.DateInput(attrs={"type": "date"})
        )
        self.fields["to"] = forms.DateField(
            required=False, label="Completed to", widget=forms.DateInput(attrs={"type": "date"})
        )
