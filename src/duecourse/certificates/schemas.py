import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from duecourse.certificates.domain import CertificateStatus, InvalidReason
from duecourse.certificates.inputs import RevokeInput
from duecourse.certificates.limits import MAX_REVOKE_REASON_LENGTH
from duecourse.core.api import Id, ListParams


class CertificateTargetOut(Schema):
    type: str
    id: int
    title: str


class CertificateItemOut(Schema):
    target: CertificateTargetOut
    completed_at: dt.datetime | None


class CertificateOut(Schema):
    id: int
    number: str
    code: str = Field(description="The verification code: `verify_url` is the public page that checks it.")
    person_id: int
    person_name: str
    rule_id: int
    title: str = Field(description="The training configuration's name when the certificate was issued.")
    status: CertificateStatus
    issued_at: dt.datetime
    valid_until: dt.datetime | None = Field(description="The earliest expiry of the required items' completions.")
    invalidated_at: dt.datetime | None = Field(description="Since when it is invalid (null while valid).")
    invalid_reason: InvalidReason | None
    revoke_reason: str | None = Field(description="Why an admin revoked it (null unless revoked).")
    items: list[CertificateItemOut]
    verify_url: str
    pdf_error: str | None = Field(
        None, description="Admins only: why its PDF could not be rendered (its email is held meanwhile)."
    )


class CertificateList(Schema):
    count: int
    items: list[CertificateOut]


class CertificateFilters(ListParams):
    person_id: Id | None = None
    rule_id: Id | None = None
    status: CertificateStatus | None = None


class RevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        ..., max_length=MAX_REVOKE_REASON_LENGTH, description="Why it is revoked (audited; the holder is told)."
    )

    def to_input(self) -> RevokeInput:
        return RevokeInput.model_validate(self.model_dump())
