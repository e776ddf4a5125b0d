"""The organisation-settings page (admins): the same service, validation and audit as the API."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from duecourse.core.errors import ValidationFailed, forbidden
from duecourse.core.web import add_field_errors, person_view
from duecourse.people.validation import known_timezones
from duecourse.policy import permissions, services
from duecourse.policy.forms import (
    DefaultPlanForm,
    EscalationForm,
    OrganisationForm,
    OverloadForm,
    RecertificationForm,
)
from duecourse.policy.inputs import TenantPolicyInput


@person_view
def settings_page(request):
    actor = request.actor
    if not permissions.can_manage_settings(actor):
        raise forbidden("change the organisation's settings")
    policy = services.tenant_policy(actor.tenant_id)
    plan = None if "default_reminder_plan" in policy["defaults"] else policy["default_reminder_plan"]
    if request.method == "POST":
        overload = OverloadForm(request.POST)
        reminders = DefaultPlanForm(request.POST, prefix="plan")
        escalation = EscalationForm(request.POST, prefix="esc")
        recert = RecertificationForm(request.POST)
        organisation = OrganisationForm(request.POST)
        valid = [form.is_valid() for form in (overload, reminders, escalation, recert, organisation)]
        if all(valid):
            changes = TenantPolicyInput(
                overload_minutes_30d=overload.cleaned_data["overload_minutes_30d"],
                default_reminder_plan=reminders.plan(),
                escalation=escalation.tiers(),
                recert_window_days=recert.cleaned_data["recert_window_days"],
                learning_minutes_per_day=overload.cleaned_data["learning_minutes_per_day"],
                timezone=organisation.cleaned_data["timezone"].strip() or None,
                managers_assign_down_the_line=organisation.cleaned_data["managers_assign_down_the_line"],
            )
            try:
                services.tenant_policy_update(actor=actor, data=changes)
            except ValidationFailed as exc:
                field = exc.errors[0].field if exc.errors else ""
                form = (
                    escalation
                    if field.startswith("escalation")
                    else {
                        "recert_window_days": recert,
                        "timezone": organisation,
                        "managers_assign_down_the_line": organisation,
                    }.get(field)
                )
                add_field_errors(form or overload, exc)
            else:
                messages.success(request, _("Saved the organisation's settings."))
                return HttpResponseRedirect(reverse("policy:settings"))
    else:
        per_day = None if "learning_minutes_per_day" in policy["defaults"] else policy["learning_minutes_per_day"]
        overload = OverloadForm(
            initial={"overload_minutes_30d": policy["overload_minutes_30d"], "learning_minutes_per_day": per_day}
        )
        reminders = DefaultPlanForm(prefix="plan", plan=plan)
        escalation = EscalationForm(prefix="esc", tiers=policy["escalation"])
        window = None if "recert_window_days" in policy["defaults"] else policy["recert_window_days"]
        recert = RecertificationForm(initial={"recert_window_days": window})
        zone = None if "timezone" in policy["defaults"] else policy["timezone"]
        organisation = OrganisationForm(
            initial={"timezone": zone, "managers_assign_down_the_line": policy["managers_assign_down_the_line"]}
        )
    forms_with_errors = [f for f in (overload, reminders, escalation, recert, organisation) if f.errors]
    context = {
        "overload": overload,
        "reminders": reminders,
        "escalation": escalation,
        "recert": recert,
        "organisation": organisation,
        "timezones": sorted(known_timezones()),
    }
    return render(request, "policy/settings.html", context, status=422 if forms_with_errors else 200)
