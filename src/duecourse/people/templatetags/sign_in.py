"""The person page's sign-in lock notice: shown to people admins while failed logins lock the account."""

from django import template

from duecourse.people import permissions, throttle

register = template.Library()


@register.inclusion_tag("people/_sign_in_lock.html", takes_context=True)
def sign_in_lock(context, person):
    actor = context["request"].actor
    locked = permissions.can_manage_people(actor) and throttle.person_sign_in_locked(person)
    return {"person": person, "locked": locked, "csrf_token": context.get("csrf_token")}
