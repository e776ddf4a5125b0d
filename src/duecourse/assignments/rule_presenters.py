"""Training configurations (assignment rules) as the pages show them: their audience, items and timing in
words, and their history (the audit events about the rule) as who changed what, before and after."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from duecourse.assignments import living_rules
from duecourse.assignments.audit import audit_events
from duecourse.assignments.models import AssignmentRule
from duecourse.assignments.presenters import TYPE_LABELS
from duecourse.assignments.priorities import Priority
from duecourse.assignments.reminder_plans import describe_plan
from duecourse.catalog.selectors import target_titles
from duecourse.core.models import AuditEvent
from duecourse.groups.domain import GroupState, archived_day
from duecourse.groups.models import Group
from duecourse.people.models import Person

AUDIENCE_LABELS = {
    "departments": gettext_lazy("Department"),
    "sites": gettext_lazy("Site"),
    "regions": gettext_lazy("Region"),
}
VISIBILITY_LABELS = {
    "required": gettext_lazy("Required"),
    "optional": gettext_lazy("Optional"),
    "hidden": gettext_lazy("Hidden"),
}
TIMING_POLICY_WORDS = {
    "keep": gettext_lazy("open assignments kept their due dates"),
    "extend": gettext_lazy("open assignments moved only where the new date is later"),
    "recompute": gettext_lazy("open assignments were re-dated from the new timing"),
}
ACTION_WORDS = {
    "rule.create": gettext_lazy("Created"),
    "rule.update": gettext_lazy("Changed"),
    "rule.pause": gettext_lazy("Paused"),
    "rule.resume": gettext_lazy("Resumed"),
    "rule.delete": gettext_lazy("Deleted"),
}
PEOPLE_NAMED = 3  # an audience of people names the first few


@dataclass(frozen=True)
class ItemView:
    type: str
    id: int
    title: str
    type_label: str
    visibility: str
    visibility_label: str
    validity_text: str


@dataclass
class RuleView:
    """A configuration as a list row or a page header shows it."""

    rule: AssignmentRule
    state: str
    state_label: str
    audience: list[str]
    items: list[ItemView]
    due: str
    recurrence: str
    priority: str
    reminders: list[str]
    holders: int = 0
    # Why part of the audience reaches nobody any more (a named group was archived), a line a group.
    warnings: list[str] = field(default_factory=list)


@dataclass
class HistoryEntry:
    at: dt.datetime
    actor: str
    actor_id: int | None
    action: str
    changes: list[str] = field(default_factory=list)
    reason: str = ""


def validity_text(months: int | None) -> str:
    if not months:
        return _("no expiry")
    return ngettext("valid %(n)s month", "valid %(n)s months", months) % {"n": months}


def due_text(due_date: dt.date | str | None, due_in_days: int | None, due_from: str) -> str:
    if due_date:
        day = dt.date.fromisoformat(due_date) if isinstance(due_date, str) else due_date
        return _("On %(day)s") % {"day": date_format(day, "j M Y")}
    if due_in_days is not None:
        values = {"n": due_in_days}
        if due_from == "hire_date":
            return ngettext("%(n)s day after the hire date", "%(n)s days after the hire date", due_in_days) % values
        return ngettext("%(n)s day after assignment", "%(n)s days after assignment", due_in_days) % values
    return _("No due date")


def recurrence_text(weeks: int | None) -> str:
    if not weeks:
        return _("Once")
    return ngettext("Every week", "Every %(n)s weeks", weeks) % {"n": weeks}


class Names:
    """Titles, group and person names for a set of rules or audit snapshots, each looked up once."""

    def __init__(self, tenant_id: int, snapshots: Iterable[dict[str, Any]]):
        targets: set[tuple[str, int]] = set()
        groups: set[int] = set()
        people: set[int] = set()
        for snapshot in snapshots:
            for item in snapshot.get("items") or []:
                targets.add((item["target_type"], item["target_id"]))
            audience = snapshot.get("audience") or {}
            groups.update(g for g in audience.get("group_ids") or [] if isinstance(g, int))
            people.update(p for p in audience.get("person_ids") or [] if isinstance(p, int))
        self.titles = target_titles(tenant_id=tenant_id, targets=targets) if targets else {}
        rows = Group.objects.filter(tenant_id=tenant_id, pk__in=groups).only(
            "name", "external_id", "archived_at", "archived_reason"
        )
        self.groups = {group.pk: group.name for group in rows}
        self.archived = {group.pk: group for group in rows if group.archived_at is not None}
        self.people = dict(Person.objects.filter(tenant_id=tenant_id, pk__in=people).values_list("pk", "name"))

    def title(self, target_type: str, target_id: int) -> str:
        return self.titles.get((target_type, target_id)) or f"{TYPE_LABELS.get(target_type, target_type)} #{target_id}"

    def audience(self, audience: dict[str, Any]) -> list[str]:
        """The audience in words, a part a line: groups, org units, people, everyone, new starters."""
        parts = [
            _("Group: %(name)s") % {"name": self.groups.get(g) or _("#%(id)s (deleted)") % {"id": g}}
            for g in audience.get("group_ids") or []
        ]
        for key, label in AUDIENCE_LABELS.items():
            parts += [f"{label}: {name}" for name in audience.get(key) or []]
        person_ids = audience.get("person_ids") or []
        if person_ids:
            named = ", ".join(self.people.get(p, f"#{p}") for p in person_ids[:PEOPLE_NAMED])
            if len(person_ids) > PEOPLE_NAMED:
                more = len(person_ids) - PEOPLE_NAMED
                named = _("%(names)s and %(more)s more") % {"names": named, "more": more}
            count = len(person_ids)
            parts.append(
                ngettext("%(n)s person: %(names)s", "%(n)s people: %(names)s", count) % {"n": count, "names": named}
            )
        if audience.get("everyone"):
            parts.append(_("Everyone"))
        if audience.get("new_starters"):
            parts.append(_("New starters"))
        return parts

    def archived_groups(self, audience: dict[str, Any]) -> list[str]:
        """A notice for each group the audience names that was archived since."""
        return [
            archived_group_notice(self.archived[g].name, self.archived[g])
            for g in audience.get("group_ids") or []
            if g in self.archived
        ]

    def item(self, item: dict[str, Any]) -> ItemView:
        return ItemView(
            type=item["target_type"],
            id=item["target_id"],
            title=self.title(item["target_type"], item["target_id"]),
            type_label=str(TYPE_LABELS.get(item["target_type"], item["target_type"])),
            visibility=item["visibility"],
            visibility_label=str(VISIBILITY_LABELS.get(item["visibility"], item["visibility"])),
            validity_text=validity_text(item["validity_months"]),
        )

    def item_words(self, item: dict[str, Any]) -> str:
        view = self.item(item)
        return f"{view.title} ({view.visibility_label.lower()}, {view.validity_text})"


def archived_group_notice(name: str, group: GroupState) -> str:
    """What a configuration says of a group in its audience that was archived: 'Group Engineering was removed
    by the identity provider on 7 Dec 2026 — this configuration now reaches nobody through it'."""
    how = group.archived_reason or _("archived")
    return _("Group %(name)s was %(how)s on %(day)s — this configuration now reaches nobody through it") % {
        "name": name,
        "how": how,
        "day": archived_day(group),
    }


def present_rules(tenant_id: int, rules: list[AssignmentRule], holders: dict[int, int] | None = None) -> list[RuleView]:
    snapshots = [living_rules.rule_snapshot(rule) for rule in rules]
    names = Names(tenant_id, snapshots)
    views = []
    for rule, snapshot in zip(rules, snapshots, strict=True):
        state = living_rules.rule_state(rule)
        views.append(
            RuleView(
                rule=rule,
                state=state,
                state_label=str(living_rules.RULE_STATES[state]),
                audience=names.audience(rule.audience),
                items=[names.item(item) for item in snapshot["items"]],
                due=due_text(rule.due_date, rule.due_in_days, rule.due_from),
                recurrence=recurrence_text(rule.recurrence_weeks),
                priority=str(Priority(rule.priority).label),
                reminders=describe_plan(rule.reminders) or [_("No reminders")],
                holders=(holders or {}).get(rule.pk, 0),
                warnings=names.archived_groups(rule.audience),
            )
        )
    return views


# --- history -------------------------------------------------------------------------------------
def _fields(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _on_off(value: Any) -> str:
    return _("on") if value else _("off")


def _window(value: Any) -> str:
    if value is None:
        return _("the organisation's default")
    return ngettext("%(n)s day", "%(n)s days", value) % {"n": value}


def describe_changes(names: Names, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two rule snapshots (or what a new one is, `before` empty), a line a change."""
    creating = not before
    lines: list[str] = []

    def changed(key: str) -> bool:
        return key in after and (creating or (key in before and before[key] != after[key]))

    def say(label: str, old: str, new: str) -> None:
        lines.append(f"{label}: {new}" if creating else f"{label}: {old} → {new}")

    if changed("name") and not creating:
        say(_("Name"), before["name"], after["name"])
    if changed("audience"):
        old_audience = "" if creating else "; ".join(names.audience(_fields(before["audience"])))
        say(_("Audience"), old_audience, "; ".join(names.audience(_fields(after["audience"]))) or _("nobody"))
    if changed("items"):
        lines += _item_changes(names, before.get("items") or [], after["items"])
    due_keys = ("due_date", "due_in_days", "due_from")
    if any(changed(k) for k in due_keys) and all(k in after for k in due_keys):
        old = {} if creating else before
        old_due = due_text(old.get("due_date"), old.get("due_in_days"), old.get("due_from", ""))
        say(pgettext("due date", "Due"), old_due, due_text(after["due_date"], after["due_in_days"], after["due_from"]))
    simple = (
        ("recurrence_weeks", _("Repeats"), recurrence_text),
        ("priority", _("Priority"), lambda v: str(Priority(v).label) if v in Priority.values else str(v)),
        ("reminders", _("Reminders"), lambda v: "; ".join(describe_plan(v)) or _("none")),
        ("certificate", _("Certificates"), _on_off),
        ("recert_window_days", _("Recertification window"), _window),
    )
    for key, label, words in simple:
        if changed(key) and not (creating and after[key] in (None, False) and key != "reminders"):
            say(label, "" if creating else words(before[key]), words(after[key]))
    if changed("note"):
        if creating or not before["note"]:
            lines.append(_("Note: %(note)s") % {"note": after["note"] or _("(none)")})
        else:
            lines.append(_("Note changed"))
    if changed("active") and not creating:
        lines.append(_("Resumed") if after["active"] else _("Paused"))
    if "deleted_at" in after and "deleted_at" in before and bool(before["deleted_at"]) != bool(after["deleted_at"]):
        lines.append(_("Deleted") if after["deleted_at"] else _("Restored"))
    return lines


def _item_changes(names: Names, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    key = lambda item: (item["target_type"], item["target_id"])  # noqa: E731
    old = {key(i): i for i in before}
    new = {key(i): i for i in after}
    lines = [_("Added %(item)s") % {"item": names.item_words(i)} for k, i in new.items() if k not in old]
    lines += [_("Removed %(title)s") % {"title": names.title(*k)} for k in old if k not in new]
    for k, item in new.items():
        was = old.get(k)
        if was is None:
            continue
        title = names.title(*k)
        if was["visibility"] != item["visibility"]:
            lines.append(
                f"{title}: {VISIBILITY_LABELS.get(was['visibility'], was['visibility']).lower()} → "
                f"{VISIBILITY_LABELS.get(item['visibility'], item['visibility']).lower()}"
            )
        if was["validity_months"] != item["validity_months"]:
            lines.append(f"{title}: {validity_text(was['validity_months'])} → {validity_text(item['validity_months'])}")
    return lines


def _event_reason(event: AuditEvent, changes: list[str], snapshot_due_changed: bool) -> tuple[list[str], str]:
    """rule.update keeps the timing policy as its reason: said in words where the timing changed, else left out."""
    if event.action == "rule.update" and event.reason.startswith("timing_policy="):
        policy = event.reason.removeprefix("timing_policy=")
        if snapshot_due_changed and policy in TIMING_POLICY_WORDS:
            changes = [*changes, _("Timing change: %(policy)s") % {"policy": TIMING_POLICY_WORDS[policy]}]
        return changes, ""
    return changes, event.reason


def rule_history(rule: AssignmentRule) -> list[HistoryEntry]:
    """The rule's audit events, newest first, each as who did what and why."""
    events = list(audit_events(tenant_id=rule.tenant_id, object_type="rule", object_id=rule.pk))
    names = Names(rule.tenant_id, [_fields(e.before) for e in events] + [_fields(e.after) for e in events])
    actors = dict(
        Person.objects.filter(tenant_id=rule.tenant_id, pk__in={e.actor_id for e in events if e.actor_id}).values_list(
            "pk", "name"
        )
    )
    entries = []
    for event in events:
        before, after = _fields(event.before), _fields(event.after)
        if event.action in ("rule.pause", "rule.resume"):
            changes: list[str] = []
        elif event.action == "rule.delete":
            changes = [_("Its open assignments that nothing else holds were withdrawn")]
        else:
            changes = describe_changes(names, before, after)
        due_changed = any(before.get(k) != after.get(k) for k in ("due_date", "due_in_days", "due_from"))
        changes, reason = _event_reason(event, changes, due_changed and event.action == "rule.update")
        if event.actor_id:
            actor = actors.get(event.actor_id) or _("Person #%(id)s") % {"id": event.actor_id}
        else:
            actor = event.actor_label or _("System")
        entries.append(
            HistoryEntry(
                at=event.at,
                actor=actor,
                actor_id=event.actor_id if event.actor_id in actors else None,
                action=str(ACTION_WORDS.get(event.action, event.action)),
                changes=changes,
                reason=reason,
            )
        )
    return entries
