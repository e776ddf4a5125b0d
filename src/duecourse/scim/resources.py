"""The SCIM resources duecourse serves, as scim2-models classes, and the discovery documents built from them.

The models name exactly the attributes duecourse keeps (RFC 7643 User, its enterprise extension, Group):
requests are parsed with them (unknown attributes ignored, as identity providers send many), responses are
dumped from them, and the Schemas endpoint publishes them, so what is published is what round-trips.
"""

from typing import Annotated, Any, Union

from pydantic import Field
from scim2_models import (
    URN,
    CaseExact,
    ComplexAttribute,
    Extension,
    Mutability,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ServiceProviderConfig,
    Uniqueness,
)

from duecourse.scim.limits import MAX_RESULTS

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# How requests are read: attributes duecourse does not keep are dropped (Entra and Okta send many);
# Entra's remove-with-a-value and its add to `emails[type eq "work"].value` on a user without one work.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class Name(ComplexAttribute):
    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class Email(ComplexAttribute):
    value: str | None = None
    type: str | None = Field(None, examples=["work", "home", "other"])
    primary: bool | None = None


class Manager(ComplexAttribute):
    # Entra and Okta send the manager as `{"value": id}` alone, so `$ref` is not required here.
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    ref: Reference["User"] | None = Field(None, serialization_alias="$ref", validation_alias="$ref")


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: str | None = None
    department: str | None = None
    manager: Manager | None = None


class User(Resource[Any]):
    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    name: Name | None = None
    display_name: str | None = None
    title: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    # Published as required: a duecourse person is always active or not (a request without it means true).
    active: bool | None = None
    emails: list[Email] | None = None


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[
        Reference[Union["User", "Group"]] | None,
        Mutability.immutable,
    ] = Field(None, serialization_alias="$ref", validation_alias="$ref")
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


ScimUser = User[EnterpriseUser]  # type: ignore[type-arg]  # scim2-models parameterises resources by extension


def user_schema() -> Schema:
    schema = User.to_schema()
    for attribute in schema.attributes or []:
        if attribute.name == "active":
            attribute.required = Required.true
    schema.name, schema.description = "User", "User Account"
    return schema


def enterprise_schema() -> Schema:
    schema = EnterpriseUser.to_schema()
    schema.name, schema.description = "EnterpriseUser", "Enterprise User"
    return schema


def group_schema() -> Schema:
    schema = Group.to_schema()
    schema.name, schema.description = "Group", "Group"
    return schema


def schemas() -> list[Schema]:
    return [user_schema(), group_schema(), enterprise_schema()]


def resource_types() -> list[ResourceType]:
    user = {
        "id": "User",
        "name": "User",
        "description": "User Account",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
    }
    group = {"id": "Group", "name": "Group", "description": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA}
    return [ResourceType.model_validate(user), ResourceType.model_validate(group)]


def service_provider_config(documentation_uri: str) -> ServiceProviderConfig:
    return ServiceProviderConfig.model_validate(
        {
            "documentationUri": documentation_uri,
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "A tenant's SCIM token, sent as `Authorization: Bearer <token>`.",
                    "primary": True,
                }
            ],
        }
    )
