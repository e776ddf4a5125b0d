"""The settings API's list of keys is the service's: a setting added to one and not the other fails here."""

from typing import get_args

from duecourse.policy.schemas import PolicyKey, TenantSettingsOut, TenantSettingsPatch
from duecourse.policy.services import POLICY_KEYS


def test_the_schemas_name_exactly_the_services_settings():
    assert get_args(PolicyKey) == POLICY_KEYS
    assert set(TenantSettingsOut.model_fields) - {"defaults"} == set(POLICY_KEYS)
    assert set(TenantSettingsPatch.model_fields) == set(POLICY_KEYS)
