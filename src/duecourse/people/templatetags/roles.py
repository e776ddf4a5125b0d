"""`{{ role|role_label }}`: a role's name as people read it ("HR", not "Hr")."""

from django import template

from duecourse.people.roles import ROLE_LABELS

register = template.Library()


@register.filter
def role_label(role: str) -> str:
    return str(ROLE_LABELS[role])
