from django.http import HttpRequest
from ninja import Router

from duecourse.core.api import ERROR_RESPONSES, actor_of
from duecourse.core.errors import forbidden
from duecourse.policy import permissions, services
from duecourse.policy.schemas import TenantSettingsOut, TenantSettingsPatch

router = Router()


@router.get("", response={200: TenantSettingsOut, **ERROR_RESPONSES}, summary="The organisation's settings (admins)")
def get_settings(request: HttpRequest):
    actor = actor_of(request)
    if not permissions.can_manage_settings(actor):
        raise forbidden("see the organisation's settings")
    return services.tenant_policy(actor.tenant_id)


@router.patch("", response={200: TenantSettingsOut, **ERROR_RESPONSES}, summary="Change the organisation's settings")
def patch_settings(request: HttpRequest, payload: TenantSettingsPatch):
    return services.tenant_policy_update(actor=actor_of(request), data=payload.to_input())
