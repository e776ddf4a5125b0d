"""Assignment rules (the web calls them training configurations): a named audience × items × timing,
applied on save and kept current.

`rule_reconcile` brings the world in line with a rule, set-based: joiners get the assignments
(source `rule`), leavers lose the rule's source and, where nothing else holds an open assignment,
the assignment is withdrawn (completed ones stay). It runs on save, on membership and directory
events, and as a periodic safety net.

A rule is in one of three states (`rule_state`): **active**; **paused** (`active` False, `deleted_at`
null): it stops applying — joiners get nothing, nobody loses anything, reconciles skip it — and
resuming reconciles it again; **deleted** (`deleted_at` set, `active` False): its open assignments that
no other source holds are withdrawn, and the web lists no longer show it.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Expression, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from duecourse.assignments import fanout, permissions
from duecourse.assignments.domain import DueSpec, recert_window_limit
from duecourse.assignments.inputs import Audience, RuleAudience, RuleInput, RuleItemInput, TimingPolicy
from duecourse.assignments.limits import (
    MAX_REASON_LENGTH,
    MAX_RECERT_WINDOW_DAYS,
    MAX_RECURRENCE_WEEKS,
    MAX_RULE_ITEMS,
    MAX_RULE_NAME_LENGTH,
    MAX_VALIDITY_MONTHS,
)
from duecourse.assignments.models import LIVE_RULE, Assignment, AssignmentRule, AssignmentSource, RuleItem
from duecourse.assignments.services import (
    audience_parts,
    clean_due,
    clean_priority_note_reminders,
    resolve_target,
    withdraw_sourceless,
)
from duecourse.assignments.signals import rule_reconciled
from duecourse.core import clock
from duecourse.core.actors import SystemActor
from duecourse.core.audit import audit_record
from duecourse.core.errors import Conflict, FieldError, ValidationFailed, forbidden
from duecourse.core.sql import AddDays, typed_value
from duecourse.groups.models import Group
from duecourse.people.models import Person

logger = logging.getLogger(__name__)

RuleStateKey = tuple[int, str, int]  # (person_id, target_type, target_id) of an open assignment the rule holds

ACTIVE, PAUSED, DELETED = "active", "paused", "deleted"
RULE_STATES = {ACTIVE: gettext_lazy("Active"), PAUSED: gettext_lazy("Paused"), DELETED: gettext_lazy("Deleted")}


def rule_state(rule: AssignmentRule) -> str:
    """active, paused (stops applying, keeps what it gave) or deleted (withdrew what only it gave)."""
    if rule.deleted_at is not None:
        return DELETED
    return ACTIVE if rule.active else PAUSED


def live_rules(tenant_id: int) -> QuerySet[AssignmentRule]:
    """The rules that are not deleted (active or paused): the ones the web lists and groups must keep."""
    return AssignmentRule.objects.filter(LIVE_RULE, tenant_id=tenant_id)


# --- input ---------------------------------------------------------------------------------------
NOBODY_MATCHES = gettext_lazy(
    "matches nobody: no active person is in these people, groups, departments, sites or regions"
)


def clean_reason(reason: str | None) -> str:
    """A pause, resume or delete reason (kept in the audit log): the web asks for one, the API may omit it."""
    text = (reason or "").strip()
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed.on(
            "reason", _("must be text of at most %(max)s characters") % {"max": MAX_REASON_LENGTH}
        )
    return text


def clean_rule_input(*, actor: Person, data: RuleInput, rule: AssignmentRule | None) -> dict[str, Any]:
    """The rule's fields to save, checked: all of them for a new rule (`rule` None), else those given."""
    given = data.given()
    creating = rule is None
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    if "name" in given or creating:
        name = data.name
        if name is None or not name.strip() or len(name) > MAX_RULE_NAME_LENGTH:
            errors.append(
                FieldError("name", _("is required (at most %(max)s characters)") % {"max": MAX_RULE_NAME_LENGTH})
            )
        else:
            clean["name"] = name.strip()
    if "active" in given:
        if data.active is None:
            errors.append(FieldError("active", _("must be true or false")))
        else:
            clean["active"] = data.active
    if "audience" in given or creating:
        audience = data.audience
        if audience is None:
            errors.append(
                FieldError(
                    "audience",
                    _("is required: {person_ids, group_ids, departments, sites, regions, everyone, new_starters}"),
                )
            )
        else:
            try:
                reached = audience_people(actor=actor, audience=audience, rule=rule)
                stored = audience.model_dump()
                clean["audience"] = {k: v for k, v in stored.items() if v not in (None, [], False)}
            except ValidationFailed as exc:
                errors.extend(exc.errors)
            else:
                if not clean["audience"]:
                    errors.append(
                        FieldError("audience", _("is empty: name people, groups, org units, everyone or new starters"))
                    )
                elif not audience.new_starters and not reached.exists():
                    # New starters reach people hired later; any other audience that reaches nobody is a mistake.
                    errors.append(FieldError("audience", str(NOBODY_MATCHES)))
    if "items" in given or creating:
        clean["items"] = _clean_items(actor.tenant_id, data.items, errors)
    if "due_from" in given and data.due_from is None:
        errors.append(FieldError("due_from", _("must be assignment or hire_date")))
    else:
        clean["due_from"] = data.due_from or (rule.due_from if rule else "assignment")
    if {"due_date", "due_in_days"} & set(given):
        try:
            due = clean_due(due_date=data.due_date, due_in_days=data.due_in_days)
            clean["due_date"], clean["due_in_days"] = due.fixed, due.days
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if "recurrence_weeks" in given:
        weeks = data.recurrence_weeks
        if weeks is not None and not 1 <= weeks <= MAX_RECURRENCE_WEEKS:
            errors.append(
                FieldError(
                    "recurrence_weeks", _("must be a whole number from 1 to %(max)s") % {"max": MAX_RECURRENCE_WEEKS}
                )
            )
        else:
            clean["recurrence_weeks"] = weeks
    clean.update(clean_priority_note_reminders(given, errors, tenant_id=actor.tenant_id))
    if "certificate" in given:
        if data.certificate is None:
            errors.append(FieldError("certificate", _("must be true or false")))
        else:
            clean["certificate"] = data.certificate
    if "recert_window_days" in given:
        window = data.recert_window_days
        if window is not None and not 0 <= window <= MAX_RECERT_WINDOW_DAYS:
            errors.append(
                FieldError(
                    "recert_window_days",
                    _("must be a whole number from 0 to %(max)s or null") % {"max": MAX_RECERT_WINDOW_DAYS},
                )
            )
        else:
            clean["recert_window_days"] = window
    if not errors:
        errors.extend(_window_misfits(clean, rule))
    if errors:
        raise ValidationFailed(
            detail="Invalid rule: " + "; ".join(f"{e.field} {e.message}" for e in errors), errors=errors
        )
    return clean


def _window_misfits(clean: dict[str, Any], rule: AssignmentRule | None) -> list[FieldError]:
    """A rule's own recertification window is at most half its shortest validity (`domain.recert_window_limit`).
    Names the window when it is being set, else each item whose new validity is too short for the saved one."""
    window = clean.get("recert_window_days", rule.recert_window_days if rule else None)
    if window is None:
        return []
    if "items" in clean:
        validities = [item["validity_months"] for item in clean["items"]]
    else:
        validities = list(rule.items.values_list("validity_months", flat=True)) if rule else []
    shortest = min((months for months in validities if months is not None), default=None)
    if shortest is None or window <= recert_window_limit(shortest):
        return []
    if "recert_window_days" in clean:
        limit = recert_window_limit(shortest)
        return [
            FieldError(
                "recert_window_days",
                ngettext(
                    "must be at most half the shortest validity among the items: at most %(limit)s days"
                    " for %(months)s month",
                    "must be at most half the shortest validity among the items: at most %(limit)s days"
                    " for %(months)s months",
                    shortest,
                )
                % {"limit": limit, "months": shortest},
            )
        ]
    return [
        FieldError(
            f"items[{index}].validity_months",
            _("is too short for the recertification window of %(window)s days (a window is at most half the validity)")
            % {"window": window},
        )
        for index, months in enumerate(validities)
        if months is not None and recert_window_limit(months) < window
    ]


def _clean_items(tenant_id: int, items: list[RuleItemInput] | None, errors: list[FieldError]) -> list[dict[str, Any]]:
    if not items:
        errors.append(FieldError("items", _("give at least one item {target, visibility, validity_months}")))
        return []
    if len(items) > MAX_RULE_ITEMS:
        errors.append(FieldError("items", _("at most %(max)s items") % {"max": MAX_RULE_ITEMS}))
        return []
    clean: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        try:
            target = resolve_target(tenant_id, item.target, f"{where}.target")
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        except Exception as exc:  # NotFound for an unknown target is a field error inside a rule
            errors.append(FieldError(f"{where}.target", str(exc)))
            continue
        validity = item.validity_months
        if validity is not None and not 1 <= validity <= MAX_VALIDITY_MONTHS:
            errors.append(
                FieldError(
                    f"{where}.validity_months",
                    _("must be a whole number from 1 to %(max)s") % {"max": MAX_VALIDITY_MONTHS},
                )
            )
            continue
        if (target.type, target.id) in seen:
            errors.append(FieldError(f"{where}.target", _("is listed twice")))
            continue
        seen.add((target.type, target.id))
        clean.append(
            {
                "target_type": target.type,
                "target_id": target.id,
                "visibility": item.visibility,
                "validity_months": validity,
            }
        )
    return clean


# --- audience ------------------------------------------------------------------------------------
def audience_people(
    *,
    actor: Person | SystemActor,
    audience: RuleAudience,
    rule: AssignmentRule | None,
) -> QuerySet[Person]:
    """The active people a rule's audience names, as one queryset.

    Saving a rule checks its audience against its author (`actor` a person); keeping it current is the
    system's work and reaches whom the saved audience names (`actor` the rule's system actor), never
    re-validating it: a named person who has since left (deactivated) is simply not reached, like a
    group member who left. On save, a leaver the rule already names may stay named (the rule's own
    GET returns them, in `inactive_person_ids`); naming a deactivated person anew is refused.
    """
    tenant_id = actor.tenant_id
    assignees: Audience = audience
    if not isinstance(actor, SystemActor) and rule is not None:
        leavers = set(named_leavers(rule))
        if leavers:
            kept = [pid for pid in audience.person_ids if pid not in leavers]
            assignees = audience.model_copy(update={"person_ids": kept})
    parts, failed = audience_parts(
        actor=actor,
        tenant_id=tenant_id,
        assignees=assignees,
        individual_source=fanout.SourceSpec("rule", 0, "rule"),
        where="audience",
    )
    if failed and not isinstance(actor, SystemActor):
        raise ValidationFailed(
            detail=_("Invalid audience"),
            errors=[FieldError("audience.person_ids", f"{f['person_id']}: {f['reason']}") for f in failed],
        )
    union = Q(pk__in=[])
    for part in parts:
        union |= Q(pk__in=part.people.values("pk"))
    if audience.new_starters:
        since = rule.new_starters_since if rule and rule.new_starters_since else clock.now().date()
        union |= Q(hire_date__gte=since)
    return Person.objects.filter(tenant_id=tenant_id, active=True).filter(union)


def stored_audience(rule: AssignmentRule) -> RuleAudience:
    """A saved rule's audience (JSON checked when it was saved) as the audience input it was."""
    return RuleAudience.model_validate(rule.audience)


def named_leavers(rule: AssignmentRule) -> list[int]:
    """The people a saved rule names in `audience.person_ids` who are deactivated (it reaches them no more)."""
    named = [pid for pid in rule.audience.get("person_ids") or [] if isinstance(pid, int)]
    if not named:
        return []
    inactive = set(
        Person.objects.filter(tenant_id=rule.tenant_id, pk__in=named, active=False).values_list("pk", flat=True)
    )
    return [pid for pid in named if pid in inactive]


def _rule_due(rule: AssignmentRule) -> DueSpec:
    if rule.due_date:
        return DueSpec(fixed=rule.due_date)
    if rule.due_in_days is not None:
        return DueSpec(days=rule.due_in_days, from_hire_date=rule.due_from == "hire_date")
    return DueSpec()


def _rule_source(rule: AssignmentRule) -> fanout.SourceSpec:
    return fanout.SourceSpec("rule", rule.pk, f"Rule: {rule.name}", rule.created_by_id, rule.pk)


def _items(rule: AssignmentRule) -> list[fanout.TargetSpec]:
    from duecourse.catalog import selectors as catalog

    specs = []
    items = list(rule.items.order_by("position"))
    titles = catalog.target_titles(tenant_id=rule.tenant_id, targets={(i.target_type, i.target_id) for i in items})
    for item in items:
        specs.append(
            fanout.TargetSpec(
                type=item.target_type,
                id=item.target_id,
                title=titles.get((item.target_type, item.target_id), ""),
                estimated_minutes=catalog.target_estimated_minutes(
                    target_type=item.target_type, target_id=item.target_id
                ),
                visibility=item.visibility,
                validity_months=item.validity_months,
            )
        )
    return specs


def _rule_sources(rule: AssignmentRule) -> QuerySet[AssignmentSource]:
    return AssignmentSource.objects.filter(tenant_id=rule.tenant_id, kind="rule", ref_id=rule.pk)


# --- reconcile -----------------------------------------------------------------------------------
def rule_actor(rule: AssignmentRule) -> SystemActor:
    """Who keeps a rule's audience current: the system, on the rule's behalf."""
    return SystemActor(tenant_id=rule.tenant_id, label=f"Rule: {rule.name}")


def rule_reconcile(
    *,
    rule: AssignmentRule,
    person_ids: Iterable[int] | None = None,
    actor: Person | SystemActor | None = None,
    also_targets: Iterable[tuple[str, int]] = (),
    resync: Iterable[tuple[str, int]] = (),
) -> dict[str, int]:
    """Apply the rule to its audience (optionally only to some people); returns {"added", "removed"}.

    `actor` is the person saving the rule; reconciles that follow events or the scheduler are the
    rule's system actor's. Rules skip exempt people only when adding: a leaver's exempt assignment
    loses the rule's source like anyone's (and is withdrawn when nothing else holds it).
    A paused rule neither adds nor removes anything; a deleted one removes everything it holds.
    Saving a rule and reconciling some people also bring the visibility of the open assignments in
    line with their sources (`fanout.sync_visibility`) for the items (and `also_targets`: items it had
    before) that another live rule lists too, and for `resync` (items whose visibility the save
    changed); with one rule on a target nothing else can change it. The hourly safety net does not.
    """
    person_ids = list(person_ids) if person_ids is not None else None
    saving = not isinstance(actor, SystemActor) and actor is not None
    actor = actor or rule_actor(rule)
    now = clock.now()
    state = rule_state(rule)
    added = removed = 0
    with transaction.atomic():
        people = (
            audience_people(actor=rule_actor(rule), audience=stored_audience(rule), rule=rule)
            if state == ACTIVE
            else Person.objects.none()
        )
        if person_ids is not None:
            people = people.filter(pk__in=list(person_ids))
        items = _items(rule) if state == ACTIVE else []
        if state == ACTIVE:
            added = fanout.assignments_fan_out(
                tenant_id=rule.tenant_id,
                actor=actor,
                kind="rule",
                parts=[fanout.AudiencePart(source=_rule_source(rule), people=people)],
                targets=items,
                due=_rule_due(rule),
                fields=fanout.AssignmentFields(
                    priority=rule.priority,
                    note=rule.note,
                    recurrence_weeks=rule.recurrence_weeks,
                    reminder_plan=rule.reminders,
                    assigned_by_id=rule.created_by_id,
                ),
                params={"rule_id": rule.pk},
                audit_reason=f"Rule {rule.name}",
                now=now,
                own_sources_move=False,
                keep_empty_operation=False,
            ).created
        if state != PAUSED:
            removed = _remove_stale(rule, people=people, items=items, person_ids=person_ids, actor=actor)
        if saving or person_ids is not None:
            listed = set(rule.items.values_list("target_type", "target_id"))
            targets = _targets_to_sync(rule, listed | set(also_targets)) | set(resync)
            if targets:
                fanout.sync_visibility(tenant_id=rule.tenant_id, targets=targets, person_ids=person_ids, now=now)
        rule_reconciled.send(sender=AssignmentRule, tenant_id=rule.tenant_id, rule_id=rule.pk, person_ids=person_ids)
    return {"added": added, "removed": removed}


def _remove_stale(
    rule: AssignmentRule,
    *,
    people: QuerySet[Person],
    items: list[fanout.TargetSpec],
    person_ids: list[int] | None,
    actor: Person | SystemActor,
) -> int:
    """Leavers: the rule's sources on people outside the audience, or on targets it no longer lists
    (exempt or not: an exemption only keeps a rule from adding); withdrawn where nothing else holds them."""
    stale = _rule_sources(rule).filter(assignment__withdrawn_at__isnull=True)
    if person_ids is not None:
        stale = stale.filter(assignment__person_id__in=person_ids)
    keep = Q(pk__in=[])
    for target in items:
        keep |= Q(
            assignment__target_type=target.type,
            assignment__target_id=target.id,
            assignment__person_id__in=people.values("pk"),
        )
    stale = stale.exclude(keep)
    affected = list(stale.values_list("assignment_id", flat=True))
    removed = 0
    for start in range(0, len(affected), fanout.CHUNK):
        chunk = affected[start : start + fanout.CHUNK]
        removed += AssignmentSource.objects.filter(
            tenant_id=rule.tenant_id, kind="rule", ref_id=rule.pk, assignment_id__in=chunk
        ).delete()[0]
        fanout.recompute_effective(Assignment.objects.filter(pk__in=chunk))
        withdraw_sourceless(
            tenant_id=rule.tenant_id,
            assignments=Assignment.objects.filter(pk__in=chunk),
            actor=actor,
            reason=f"No longer in the audience of rule {rule.name}"
            if rule.deleted_at is None
            else f"Rule {rule.name} was deleted",
        )
    return removed


# --- visibility ----------------------------------------------------------------------------------
def _targets_to_sync(rule: AssignmentRule, targets: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Of these targets, those another live rule lists too (their sources may disagree on visibility)."""
    if not targets:
        return set()
    listed = Q(pk__in=[])
    for target_type, target_id in targets:
        listed |= Q(target_type=target_type, target_id=target_id)
    others = RuleItem.objects.filter(listed, tenant_id=rule.tenant_id, rule__deleted_at__isnull=True).exclude(
        rule_id=rule.pk
    )
    return set(others.values_list("target_type", "target_id"))


def rules_reconcile_for_people(*, tenant_id: int, person_ids: Iterable[int]) -> None:
    for rule in AssignmentRule.objects.filter(tenant_id=tenant_id, active=True):
        rule_reconcile(rule=rule, person_ids=person_ids)


def rules_reconcile_for_groups(*, tenant_id: int, group_ids: Iterable[int], person_ids: Iterable[int]) -> None:
    for rule in AssignmentRule.objects.filter(tenant_id=tenant_id, active=True):
        if set(rule.audience.get("group_ids") or []) & set(group_ids):
            rule_reconcile(rule=rule, person_ids=person_ids)


def _names_group(rule: AssignmentRule, group_id: int) -> bool:
    return group_id in (rule.audience.get("group_ids") or [])


def rules_using_group(*, tenant_id: int, group_id: int) -> list[FieldError]:
    """One `rules` error per live (active or paused) rule whose audience names the group: deleting it is
    refused (409)."""
    rules = live_rules(tenant_id).order_by("name")
    return [FieldError("rules", rule.name) for rule in rules if _names_group(rule, group_id)]


def rules_forget_group(*, tenant_id: int, group_id: int, name: str, actor: Person) -> None:
    """A deleted group leaves the audiences of the deleted rules that still named it (audited)."""
    for rule in AssignmentRule.objects.select_for_update().filter(tenant_id=tenant_id, deleted_at__isnull=False):
        if not _names_group(rule, group_id):
            continue
        before = {"audience": dict(rule.audience)}
        rest = [gid for gid in rule.audience.get("group_ids") or [] if gid != group_id]
        rule.audience = {k: v for k, v in rule.audience.items() if k != "group_ids"} | (
            {"group_ids": rest} if rest else {}
        )
        rule.updated_at = clock.now()
        rule.save(update_fields=["audience", "updated_at"])
        audit_record(
            tenant_id=tenant_id,
            actor_id=actor.pk,
            action="rule.update",
            object_type="rule",
            object_id=rule.pk,
            before=before,
            after={"audience": rule.audience},
            reason=f"Group {name} deleted",
        )


def _lock_audience_groups(rule: AssignmentRule) -> None:
    """Lock the groups a live rule names (a concurrent group delete waits, then sees the rule)."""
    group_ids = [gid for gid in rule.audience.get("group_ids") or [] if isinstance(gid, int)]
    if rule.deleted_at is not None or not group_ids:
        return
    found = set(
        Group.objects.select_for_update()
        .filter(tenant_id=rule.tenant_id, pk__in=group_ids)
        .values_list("pk", flat=True)
    )
    missing = [gid for gid in group_ids if gid not in found]
    if missing:
        raise ValidationFailed.on("audience.group_ids", _("no group with id %(id)s") % {"id": missing[0]})


def rules_reconcile_all(*, tenant_id: int | None = None) -> int:
    """The periodic safety net: every active rule against its whole audience."""
    rules_qs = AssignmentRule.objects.filter(active=True)
    if tenant_id is not None:
        rules_qs = rules_qs.filter(tenant_id=tenant_id)
    count = 0
    for rule in rules_qs:
        # One savepoint per rule: a rule that fails is logged and retried next time, and the others
        # still commit (one bad rule must not hold back every tenant's reconcile).
        try:
            with transaction.atomic():
                rule_reconcile(rule=rule)
        except Exception:
            logger.exception("Reconciling assignment rule %s failed; the other rules went on", rule.pk)
            continue
        count += 1
    return count


# --- create, change, delete, preview -------------------------------------------------------------
def _write_items(rule: AssignmentRule, items: list[dict[str, Any]]) -> None:
    RuleItem.objects.filter(rule=rule).delete()
    RuleItem.objects.bulk_create(
        [RuleItem(tenant_id=rule.tenant_id, rule=rule, position=i, **item) for i, item in enumerate(items)]
    )


def rule_snapshot(rule: AssignmentRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "active": rule.active,
        "audience": rule.audience,
        "items": [
            {
                "target_type": i.target_type,
                "target_id": i.target_id,
                "visibility": i.visibility,
                "validity_months": i.validity_months,
            }
            for i in rule.items.order_by("position")
        ],
        "due_in_days": rule.due_in_days,
        "due_date": rule.due_date.isoformat() if rule.due_date else None,
        "due_from": rule.due_from,
        "recurrence_weeks": rule.recurrence_weeks,
        "priority": rule.priority,
        "note": rule.note,
        "reminders": rule.reminders,
        "certificate": rule.certificate,
        "recert_window_days": rule.recert_window_days,
        "deleted_at": rule.deleted_at.isoformat() if rule.deleted_at else None,
    }


def _apply_fields(rule: AssignmentRule, clean: dict[str, Any]) -> None:
    for key in (
        "name",
        "active",
        "audience",
        "due_from",
        "due_date",
        "due_in_days",
        "recurrence_weeks",
        "priority",
        "note",
        "reminders",
        "certificate",
        "recert_window_days",
    ):
        if key in clean:
            setattr(rule, key, clean[key])
    if clean.get("active"):
        rule.deleted_at = None  # activating a deleted rule (the API's PATCH "active": true) restores it
    if rule.audience.get("new_starters") and rule.new_starters_since is None:
        rule.new_starters_since = clock.now().date()


def rule_create(*, actor: Person, data: RuleInput, reason: str = "") -> tuple[AssignmentRule, dict[str, int]]:
    if not permissions.can_manage_rules(actor):
        raise forbidden("create assignment rules")
    clean = clean_rule_input(actor=actor, data=data, rule=None)
    reason = clean_reason(reason)
    now = clock.now()
    with transaction.atomic():
        rule = AssignmentRule(tenant_id=actor.tenant_id, created_by=actor, created_at=now, updated_at=now)
        _apply_fields(rule, clean)
        _lock_audience_groups(rule)
        rule.save()
        _write_items(rule, clean["items"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="rule.create",
            object_type="rule",
            object_id=rule.pk,
            after=rule_snapshot(rule),
            reason=reason,
        )
        outcome = rule_reconcile(rule=rule, actor=actor)
    return rule, outcome


def rule_update(
    *, actor: Person, rule: AssignmentRule, data: RuleInput, timing_policy: TimingPolicy = "keep"
) -> tuple[AssignmentRule, dict[str, int]]:
    if not permissions.can_manage_rules(actor):
        raise forbidden("change assignment rules")
    clean = clean_rule_input(actor=actor, data=data, rule=rule)
    with transaction.atomic():
        rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        before = rule_snapshot(rule)
        old_targets = {(i["target_type"], i["target_id"]) for i in before["items"]}
        old_due = _rule_due(rule)
        _apply_fields(rule, clean)
        rule.updated_at = clock.now()
        _lock_audience_groups(rule)
        rule.save()
        if "items" in clean:
            _write_items(rule, clean["items"])
        if "name" in clean:
            _rule_sources(rule).update(label=f"Rule: {rule.name}")
        if {"priority", "note", "reminders"} & set(clean):
            # The rule's sources carry what it asks; each assignment takes its sources' effective values.
            _rule_sources(rule).update(priority=rule.priority, note=rule.note, reminder_plan=rule.reminders)
            fanout.recompute_terms(
                Assignment.objects.filter(pk__in=_rule_sources(rule).values("assignment_id"), withdrawn_at__isnull=True)
            )
        new_due = _rule_due(rule)
        if new_due != old_due and timing_policy != "keep":
            _retime_sources(rule, new_due, extend_only=timing_policy == "extend")
        after = rule_snapshot(rule)
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="rule.update",
            object_type="rule",
            object_id=rule.pk,
            before=before,
            after=after,
            reason=f"timing_policy={timing_policy}",
        )
        old_visibility = {(i["target_type"], i["target_id"]): i["visibility"] for i in before["items"]}
        resync = {
            (i["target_type"], i["target_id"])
            for i in after["items"]
            if old_visibility.get((i["target_type"], i["target_id"]), i["visibility"]) != i["visibility"]
        }
        outcome = rule_reconcile(rule=rule, actor=actor, also_targets=old_targets, resync=resync)
    return rule, outcome


def _source_due_expression(rule: AssignmentRule, due: DueSpec) -> Expression:
    if due.fixed:
        return typed_value(due.fixed, fanout.DateField())
    if due.days is None:
        return typed_value(None, fanout.DateField())
    from_assignment = AddDays(TruncDate("created_at"), fanout.Value(due.days))
    if not due.from_hire_date:
        return from_assignment
    # A subquery on the source's own column: UPDATE statements cannot follow joins.
    hire = Assignment.objects.filter(pk=OuterRef("assignment_id")).values("person__hire_date")[:1]
    return Coalesce(AddDays(Subquery(hire), fanout.Value(due.days)), from_assignment, output_field=fanout.DateField())


def _retime_sources(rule: AssignmentRule, due: DueSpec, *, extend_only: bool) -> None:
    """Move the due dates of the rule's existing open sources to the new timing, then each assignment's."""
    sources = _rule_sources(rule).filter(assignment__withdrawn_at__isnull=True, assignment__completed_at__isnull=True)
    expression = _source_due_expression(rule, due)
    annotated = sources.annotate(new_due=expression)
    if extend_only:
        annotated = annotated.filter(Q(due_date__isnull=True) | Q(due_date__lt=F("new_due")))
    ids = list(annotated.values_list("pk", flat=True))
    for start in range(0, len(ids), fanout.CHUNK):
        AssignmentSource.objects.filter(pk__in=ids[start : start + fanout.CHUNK]).update(
            due_date=expression, due_rule=due.describe()
        )
    affected = Assignment.objects.filter(pk__in=sources.values("assignment_id"))
    fanout.recompute_due_dates(affected)


def rule_set_active(
    *, actor: Person, rule: AssignmentRule, active: bool, reason: str = ""
) -> tuple[AssignmentRule, dict[str, int]]:
    """Pause (`active` False: it stops applying, nobody loses anything) or resume a rule (it applies again:
    reconciled at once), audited as rule.pause / rule.resume with the reason. A deleted rule is a Conflict."""
    if not permissions.can_manage_rules(actor):
        raise forbidden("pause or resume assignment rules")
    reason = clean_reason(reason)
    with transaction.atomic():
        rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        if rule.deleted_at is not None:
            raise Conflict(detail=_("This rule is deleted: it can no longer be paused or resumed"))
        if rule.active == active:
            return rule, {"added": 0, "removed": 0}
        rule.active = active
        rule.updated_at = clock.now()
        _lock_audience_groups(rule)
        rule.save(update_fields=["active", "updated_at"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="rule.resume" if active else "rule.pause",
            object_type="rule",
            object_id=rule.pk,
            before={"active": not active},
            after={"active": active},
            reason=reason,
        )
        outcome = rule_reconcile(rule=rule, actor=actor) if active else {"added": 0, "removed": 0}
    return rule, outcome


def rule_delete(*, actor: Person, rule: AssignmentRule, reason: str = "") -> dict[str, int]:
    """Delete a rule: `deleted_at` set and inactive (kept for its history), its open assignments that no other
    source holds withdrawn (completed ones stay), audited with the reason. Deleting it again changes nothing."""
    if not permissions.can_manage_rules(actor):
        raise forbidden("delete assignment rules")
    reason = clean_reason(reason)
    with transaction.atomic():
        rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        if rule.deleted_at is not None:
            return {"added": 0, "removed": 0}
        before = {"active": rule.active, "deleted_at": None}
        rule.active = False
        rule.deleted_at = rule.updated_at = clock.now()
        rule.save(update_fields=["active", "deleted_at", "updated_at"])
        audit_record(
            tenant_id=actor.tenant_id,
            actor_id=actor.pk,
            action="rule.delete",
            object_type="rule",
            object_id=rule.pk,
            before=before,
            after={"active": False, "deleted_at": rule.deleted_at.isoformat()},
            reason=reason,
        )
        return rule_reconcile(rule=rule, actor=actor)


def rule_preview(
    *, actor: Person, rule: AssignmentRule | None, data: RuleInput, timing_policy: TimingPolicy = "keep"
) -> dict[str, list[dict[str, Any]]]:
    """What saving `data` would change, computed by doing it and rolling back (so it can never disagree)."""
    if not permissions.can_manage_rules(actor):
        raise forbidden("preview assignment rules")
    tenant_id = actor.tenant_id

    class _Rollback(Exception):
        pass

    before = _open_rule_state(tenant_id, rule)
    outcome: dict[str, Any] = {}
    try:
        with transaction.atomic():
            if rule is None:
                saved, _outcome = rule_create(actor=actor, data=data)
            else:
                saved, _outcome = rule_update(actor=actor, rule=rule, data=data, timing_policy=timing_policy)
            outcome = {"after": _open_rule_state(tenant_id, saved), "rule_id": saved.pk}
            raise _Rollback
    except _Rollback:
        pass
    after = outcome["after"]
    names = (
        dict(
            Person.objects.filter(tenant_id=tenant_id, pk__in={k[0] for k in before | after.keys()}).values_list(
                "id", "name"
            )
        )
        if (before or after)
        else {}
    )

    def row(key: RuleStateKey, due: dt.date | None) -> dict[str, Any]:
        person_id, target_type, target_id = key
        return {
            "person_id": person_id,
            "name": names.get(person_id, ""),
            "target": {"type": target_type, "id": target_id},
            "due_date": due,
        }

    add = [row(k, after[k]) for k in sorted(after.keys() - before.keys())]
    remove = [row(k, before[k]) for k in sorted(before.keys() - after.keys())]
    due_changes = [
        {**row(k, after[k]), "old_due_date": before[k]}
        for k in sorted(before.keys() & after.keys())
        if before[k] != after[k]
    ]
    return {"add": add, "remove": remove, "due_changes": due_changes}


def _open_rule_state(tenant_id: int, rule: AssignmentRule | None) -> dict[RuleStateKey, dt.date | None]:
    if rule is None:
        return {}
    rows = (
        _rule_sources(rule)
        .filter(assignment__withdrawn_at__isnull=True)
        .values_list(
            "assignment__person_id", "assignment__target_type", "assignment__target_id", "assignment__due_date"
        )
    )
    return {(p, t, i): d for p, t, i, d in rows}
