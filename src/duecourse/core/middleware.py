from django.utils.functional import SimpleLazyObject

from duecourse.core.authentication import actor_for_user


class ActorMiddleware:
    """Puts the logged-in person (`request.actor`) on every web request; None when anonymous."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: actor_for_user(request.user))
        return self.get_response(request)
