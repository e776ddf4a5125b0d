"""The exports page and its CSV downloads (session-authenticated; the same streams as the API's)."""

from django.shortcuts import render

from duecourse.core.api import csv_response
from duecourse.core.errors import ValidationFailed
from duecourse.core.web import add_field_errors, person_view
from duecourse.reports import exports
from duecourse.reports.forms import AuditSampleForm


def _download(export: exports.Export):
    return csv_response(export.filename, export.columns, export.rows, headers=export.headers)


def _page(request, form: AuditSampleForm, *, status: int = 200):
    return render(request, "reports/exports.html", {"sample_form": form}, status=status)


@person_view
def exports_view(request):
    exports.require_exports(request.actor)
    return _page(request, AuditSampleForm())


@person_view
def overdue_by_department_csv(request):
    return _download(exports.overdue_by_department(actor=request.actor))


@person_view
def completed_before_start_csv(request):
    return _download(exports.completed_before_start(actor=request.actor))


@person_view
def audit_sample_csv(request):
    exports.require_exports(request.actor)
    form = AuditSampleForm(request.GET)
    if form.is_valid():
        try:
            data = form.cleaned_data
            sample = exports.audit_sample(
                actor=request.actor,
                percent=data["percent"],
                seed=data["seed"],
                date_from=data["from"],
                date_to=data["to"],
            )
            return _download(sample)
        except ValidationFailed as exc:
            add_field_errors(form, exc)
    return _page(request, form, status=422)
