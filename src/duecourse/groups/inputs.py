"""What the group services take: built by the API schemas and by the group editor alike."""

from typing import Any, Literal

from duecourse.core.inputs import ServiceInput


class GroupInput(ServiceInput):
    """A group's fields; on update only those given change (the kind never does).

    `rule` stays the JSON the API documents: `dynamic_rules.validate_rule` is its one validator, and
    names the condition at fault (`rule.all[2].op`) for the API and the editor alike.
    """

    name: str | None = None
    kind: Literal["static", "dynamic"] | None = None
    description: str | None = None
    member_ids: list[int] | None = None
    rule: dict[str, Any] | None = None
    # The identity provider's id for a group it provisions (SCIM `externalId`); unique in the tenant.
    external_id: str | None = None
