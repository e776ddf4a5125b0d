"""The base of the typed inputs that write services take: frozen, known fields only, types checked.

An API schema or a form builds one. `model_fields_set` tells which fields the caller gave, so an update
(PATCH) changes exactly those, and a field given as None stays distinct from one not given at all.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict


class ServiceInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def given(self) -> dict[str, Any]:
        """The fields the caller gave, in declaration order, with their values (None included)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name in self.model_fields_set}
