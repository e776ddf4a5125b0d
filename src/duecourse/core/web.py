"""The web UI's glue to the domain: who is asking, and domain errors as HTTP pages or field errors."""

import functools

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as HttpPermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from duecourse.core import errors


def http_error_for(exc: errors.DomainError) -> Exception | None:
    """The Django exception that renders the 404 / 403 page for a domain error, if it maps to one."""
    if isinstance(exc, errors.NotFound):
        return Http404(exc.detail)
    if isinstance(exc, errors.PermissionDenied):
        return HttpPermissionDenied(exc.detail)
    return None


def person_view(view):
    """A page for a logged-in, active person (`request.actor`); NotFound → 404 and PermissionDenied → 403.

    A Django user whose person was deactivated is logged out rather than shown a half-working UI.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.actor:
            logout(request)
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except (errors.NotFound, errors.PermissionDenied) as exc:
            raise (http_error_for(exc) or exc) from exc

    return wrapper


def add_field_errors(form, exc: errors.ValidationFailed, field_map: dict[str, str] | None = None) -> None:
    """Show a service's field errors beside the form fields they name (the rest above the form)."""
    field_map = field_map or {}
    for error in exc.errors or [errors.FieldError("", exc.detail)]:
        name = field_map.get(error.field, error.field)
        if name in form.fields:
            if name not in form.errors or error.message not in form.errors[name]:
                form.add_error(name, error.message)
        else:
            # The field's words as a label ("due_date" → "Due date"), in the page's language when a catalog has them.
            label = error.field.replace("_", " ").capitalize()
            label = gettext(label) if label else label
            form.add_error(None, f"{label}: {error.message}" if error.field else error.message)


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next_url(request, next_url: str) -> str:
    """A `next` to return to after signing in, if it stays on this site (https when this request is);
    else "" (the caller goes home)."""
    ok = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return next_url if next_url and ok else ""


_ID = 987654321987  # a sentinel id, reversed once and replaced per row


class IdLinks:
    """Links to one named route for many ids, reversed once: a list of 50 rows needs 150 links, and
    `reverse` per row was a sixth of a page's time."""

    def __init__(self, route: str):
        self._pattern = reverse(route, args=[_ID])

    def __call__(self, pk: int) -> str:
        return self._pattern.replace(str(_ID), str(int(pk)), 1)
