"""Training configurations (assignment rules) as the pages show them: their audience, items and timing in
words, and their history (the audit events about the rule) as who changed what, before and after."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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

AUDIENCE_LABELS = {"departments": "Department", "sites": "Site", "regions": "Region"}
VISIBILITY_LABELS = {"required": "Required", "optional": "Optional", "hidden": "Hidden"}
TIMING_POLICY_WORDS = {
    "keep": "open assignments kept their due dates",
    "extend": "open assignments moved only where the new date is later",
    "recompute": "open assignments were re-dated from the new timing",
}
ACTION_WORDS = {
    "rule.create": "Created",
    "rule.update": "Changed",
    "rule.pause": "Paused",
    "rule.resume": "Resumed",
    "rule.delete": "Deleted",
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
    return f"valid {months} month{'s' if months != 1 else ''}" if months else "no expiry"


def due_text(due_date: dt.date | str | None, due_in_days: int | None, due_from: str) -> str:
    if due_date:
        day = dt.date.fromisoformat(due_date) if isinstance(due_date, str) else due_date
        return f"On {day:%-d %b %Y}"
    if due_in_days is not None:
        base = "the hire date" if due_from == "hire_date" else "assignment"
        return f"{due_in_days} day{'s' if due_in_days != 1 else ''} after {base}"
    return "No due date"


def recurrence_text(weeks: int | None) -> str:
    return f"Every {weeks} week{'s' if weeks != 1 else ''}" if weeks else "Once"


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
        parts = [f"Group: {self.groups.get(g, f'#{g} (deleted)')}" for g in audience.get("group_ids") or []]
        for key, label in AUDIENCE_LABELS.items():
            parts += [f"{label}: {name}" for name in audience.get(key) or []]
        person_ids = audience.get("person_ids") or []
        if person_ids:
            named = ", ".join(self.people.get(p, f"#{p}") for p in person_ids[:PEOPLE_NAMED])
            more = f" and {len(person_ids) - PEOPLE_NAMED} more" if len(person_ids) > PEOPLE_NAMED else ""
            parts.append(f"{len(person_ids)} {'person' if len(person_ids) == 1 else 'people'}: {named}{more}")
        if audience.get("everyone"):
            parts.append("Everyone")
        if audience.get("new_starters"):
            parts.append("New starters")
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
            type_label=TYPE_LABELS.get(item["target_type"], item["target_type"]),
            visibility=item["visibility"],
            visibility_label=VISIBILITY_LABELS.get(item["visibility"], item["visibility"]),
            validity_text=validity_text(item["validity_months"]),
        )

    def item_words(self, item: dict[str, Any]) -> str:
        view = self.item(item)
        return f"{view.title} ({view.visibility_label.lower()}, {view.validity_text})"


def archived_group_notice(name: str, group: GroupState) -> str:
    """What a configuration says of a group in its audience that was archived: 'Group Engineering was removed
    by the identity provider on 7 Dec 2026 — this configuration now reaches nobody through it'."""
    how = group.archived_reason or "archived"
    return f"Group {name} was {how} on {archived_day(group)} — this configuration now reaches nobody through it"


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
                state_label=living_rules.RULE_STATES[state],
                audience=names.audience(rule.audience),
                items=[names.item(item) for item in snapshot["items"]],
                due=due_text(rule.due_date, rule.due_in_days, rule.due_from),
                recurrence=recurrence_text(rule.recurrence_weeks),
                priority=Priority(rule.priority).label,
                reminders=describe_plan(rule.reminders) or ["No reminders"],
                holders=(holders or {}).get(rule.pk, 0),
                warnings=names.archived_groups(rule.audience),
            )
        )
    return views


# --- history -------------------------------------------------------------------------------------
def _fields(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _on_off(value: Any) -> str:
    return "on" if value else "off"


def _window(value: Any) -> str:
    return f"{value} days" if value is not None else "the organisation's default"


def describe_changes(names: Names, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two rule snapshots (or what a new one is, `before` empty), a line a change."""
    creating = not before
    lines: list[str] = []

    def changed(key: str) -> bool:
        return key in after and (creating or (key in before and before[key] != after[key]))

    def say(label: str, old: str, new: str) -> None:
        lines.append(f"{label}: {new}" if creating else f"{label}: {old} → {new}")

    if changed("name") and not creating:
        say("Name", before["name"], after["name"])
    if changed("audience"):
        old_audience = "" if creating else "; ".join(names.audience(_fields(before["audience"])))
        say("Audience", old_audience, "; ".join(names.audience(_fields(after["audience"]))) or "nobody")
    if changed("items"):
        lines += _item_changes(names, before.get("items") or [], after["items"])
    due_keys = ("due_date", "due_in_days", "due_from")
    if any(changed(k) for k in due_keys) and all(k in after for k in due_keys):
        old = {} if creating else before
        old_due = due_text(old.get("due_date"), old.get("due_in_days"), old.get("due_from", ""))
        say("Due", old_due, due_text(after["due_date"], after["due_in_days"], after["due_from"]))
    simple = (
        ("recurrence_weeks", "Repeats", recurrence_text),
        ("priority", "Priority", lambda v: Priority(v).label if v in Priority.values else str(v)),
        ("reminders", "Reminders", lambda v: "; ".join(describe_plan(v)) or "none"),
        ("certificate", "Certificates", _on_off),
        ("recert_window_days", "Recertification window", _window),
    )
    for key, label, words in simple:
        if changed(key) and not (creating and after[key] in (None, False) and key != "reminders"):
            say(label, "" if creating else words(before[key]), words(after[key]))
    if changed("note"):
        lines.append(f"Note: {after['note'] or '(none)'}" if creating or not before["note"] else "Note changed")
    if changed("active") and not creating:
        lines.append("Resumed" if after["active"] else "Paused")
    if "deleted_at" in after and "deleted_at" in before and bool(before["deleted_at"]) != bool(after["deleted_at"]):
        lines.append("Deleted" if after["deleted_at"] else "Restored")
    return lines


def _item_changes(names: Names, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    key = lambda item: (item["target_type"], item["target_id"])  # noqa: E731
    old = {key(i): i for i in before}
    new = {key(i): i for i in after}
    lines = [f"Added {names.item_words(i)}" for k, i in new.items() if k not in old]
    lines += [f"Removed {names.title(*k)}" for k in old if k not in new]
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
            changes = [*changes, f"Timing change: {TIMING_POLICY_WORDS[policy]}"]
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
            changes = ["Its open assignments that nothing else holds were withdrawn"]
        else:
            changes = describe_changes(names, before, after)
        due_changed = any(before.get(k) != after.get(k) for k in ("due_date", "due_in_days", "due_from"))
        changes, reason = _event_reason(event, changes, due_changed and event.action == "rule.update")
        if event.actor_id:
            actor = actors.get(event.actor_id, f"Person #{event.actor_id}")
        else:
            actor = event.actor_label or "System"
        entries.append(
            HistoryEntry(
                at=event.at,
                actor=actor,
                actor_id=event.actor_id if event.actor_id in actors else None,
                action=ACTION_WORDS.get(event.action, event.action),
                changes=changes,
                reason=reason,
            )
        )
    return entries
