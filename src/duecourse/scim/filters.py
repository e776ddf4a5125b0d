"""SCIM filters (RFC 7644 §3.4.2.2) as database conditions.

scim2-models parses the filter (its grammar is the RFC's); this module walks the tree and turns the few
comparisons identity providers use into a `Q` on the table, so a filter is one indexed query, never a scan
in Python. Anything else is refused with `invalidFilter`, naming what is not supported.
"""

from collections.abc import Callable

from django.db.models import Q
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    ValuePath,
)

from duecourse.scim.ids import parse_scim_id
from duecourse.scim.limits import MAX_FILTER_LENGTH, MAX_FILTER_TERMS
from duecourse.scim.resources import ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA

# attribute (lower-cased, full path) -> builds the condition for `attribute eq value`
Equality = Callable[[object], Q]
NOTHING = Q(pk__in=[])


def _id(value: object) -> Q:
    pk = parse_scim_id(value)
    return Q(pk=pk) if pk is not None else NOTHING


def _text(field: str, *, lower: bool = False, insensitive: bool = False) -> Equality:
    def condition(value: object) -> Q:
        if not isinstance(value, str) or "\x00" in value:
            return NOTHING
        if insensitive:
            return Q(**{f"{field}__iexact": value})
        return Q(**{field: value.strip().lower() if lower else value})

    return condition


def _active(value: object) -> Q:
    if isinstance(value, bool):
        return Q(active=value)
    raise InvalidFilterException(detail="active compares with true or false")


USER_EQUALITIES: dict[str, Equality] = {
    "id": _id,
    "username": _text("email", lower=True),
    "externalid": _text("external_id"),
    # duecourse keeps one address per person, the login email (userName); it answers for the work email.
    "emails.value": _text("email", lower=True),
    "emails": _text("email", lower=True),
    "displayname": _text("name", insensitive=True),
    "active": _active,
    f"{ENTERPRISE_SCHEMA}:employeenumber".lower(): _text("scim_profile__attributes__employeeNumber"),
}
GROUP_EQUALITIES: dict[str, Equality] = {
    "id": _id,
    "displayname": _text("name", insensitive=True),
    "externalid": _text("external_id"),
}
SUPPORTED = {
    "User": 'userName eq, externalId eq, id eq, displayName eq, active eq, emails[type eq "work"].value eq, '
    "employeeNumber eq, joined by and / or",
    "Group": "displayName eq, externalId eq, id eq, joined by and / or",
}


def _key(attr_path: AttrPath, core_schema: str) -> str:
    name = attr_path.attr + (f".{attr_path.sub_attr}" if attr_path.sub_attr else "")
    uri = (attr_path.uri or "").lower()
    if uri in ("", core_schema.lower()):
        return name.lower()
    return f"{uri}:{name}".lower()


class _Translator:
    def __init__(self, equalities: dict[str, Equality], core_schema: str, resource: str):
        self.equalities = equalities
        self.core_schema = core_schema
        self.resource = resource
        self.terms = 0

    def unsupported(self, what: str) -> InvalidFilterException:
        return InvalidFilterException(detail=f"{what} is not supported; supported: {SUPPORTED[self.resource]}")

    def visit(self, node: FilterNode) -> Q:
        self.terms += 1
        if self.terms > MAX_FILTER_TERMS:
            raise InvalidFilterException(detail=f"at most {MAX_FILTER_TERMS} comparisons in a filter")
        if isinstance(node, LogicalExpr):
            parts = [self.visit(term) for term in node.terms]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if node.op == LogicalOperator.and_ else combined | part
            return combined
        if isinstance(node, Comparison):
            return self.comparison(node.attr_path, node)
        if isinstance(node, ValuePath):
            return self.value_path(node)
        raise self.unsupported(f"the filter {node}")

    def comparison(self, attr_path: AttrPath, node: Comparison) -> Q:
        if node.op != CompareOperator.eq:
            raise self.unsupported(f"the operator {node.op.value} ({node})")
        key = _key(attr_path, self.core_schema)
        if key not in self.equalities:
            raise self.unsupported(f"filtering on {attr_path}")
        return self.equalities[key](node.value)

    def value_path(self, node: ValuePath) -> Q:
        """`emails[type eq "work"].value eq "x"` (parsed as `emails[type eq "work" and value eq "x"]`)."""
        if node.attr_path.attr.lower() != "emails" or self.resource != "User":
            raise self.unsupported(f"the filter {node}")
        terms = node.val_filter.terms if isinstance(node.val_filter, LogicalExpr) else (node.val_filter,)
        if isinstance(node.val_filter, LogicalExpr) and node.val_filter.op != LogicalOperator.and_:
            raise self.unsupported(f"the filter {node}")
        value_conditions = []
        for term in terms:
            if not isinstance(term, Comparison) or term.op != CompareOperator.eq:
                raise self.unsupported(f"the filter {node}")
            sub = term.attr_path.attr.lower()
            if sub == "type" and str(term.value).lower() == "work":
                continue
            if sub == "primary" and term.value is True:
                continue
            if sub != "value":
                raise self.unsupported(f"the filter {node}")
            value_conditions.append(USER_EQUALITIES["emails.value"](term.value))
        if len(value_conditions) != 1:
            raise self.unsupported(f"the filter {node}")
        return value_conditions[0]


def _parse(text: str) -> FilterNode:
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"a filter has at most {MAX_FILTER_LENGTH} characters")
    try:
        return ScimFilter(text).ast
    except InvalidFilterException:
        raise
    except Exception as exc:  # the grammar's own errors
        raise InvalidFilterException(detail=f"the filter {text!r} is not valid SCIM filter syntax: {exc}") from None


def user_filter(text: str) -> Q:
    return _Translator(USER_EQUALITIES, USER_SCHEMA, "User").visit(_parse(text))


def group_filter(text: str) -> Q:
    return _Translator(GROUP_EQUALITIES, GROUP_SCHEMA, "Group").visit(_parse(text))
