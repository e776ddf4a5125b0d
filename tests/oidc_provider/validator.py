"""The provider's OAuth2Validator: the claims duecourse maps (standard ones plus department and manager_email),
a random-looking `sub`, and the defects of misbehaviour.py."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from oidc_provider import keys, misbehaviour


def _profile(request):
    return request.user.profile


class Validator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "department": "profile", "manager_email": "profile"}

    def get_additional_claims(self):
        # Without the request argument DOT lists these claims in the discovery document's claims_supported.
        return {
            "sub": lambda request: _profile(request).subject,
            "email": lambda request: request.user.email,
            "email_verified": lambda request: _profile(request).email_verified,
            "name": lambda request: _profile(request).name,
            "given_name": lambda request: _profile(request).given_name,
            "family_name": lambda request: _profile(request).family_name,
            "department": lambda request: _profile(request).department,
            "manager_email": lambda request: _profile(request).manager_email,
        }

    def finalize_id_token(self, id_token, token, token_handler, request):
        serialized = super().finalize_id_token(id_token, token, token_handler, request)
        mode = misbehaviour.current_mode()
        return misbehaviour.spoil(serialized, mode) if mode else serialized

    def _get_key_for_token(self, token):
        # DOT checks an id_token_hint (RP-initiated logout) with the current key only; the provider still knows
        # tokens it signed before a rotation, as a real one would.
        return keys.all_keys() if super()._get_key_for_token(token) else None
