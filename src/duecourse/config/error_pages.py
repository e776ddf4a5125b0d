"""Django's error answers for what no view handled (an unknown path, a path its converter refused): pages
for people, and under `/api/` the API's own JSON error (`{"detail", "errors"}`) in the request's language."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from duecourse.core import api as messages

API_PREFIX = "/api/"


def _api_error(status: int, detail) -> JsonResponse:
    return JsonResponse({"detail": str(detail), "errors": []}, status=status)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(404, messages.NOT_FOUND)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(400, messages.INVALID_REQUEST)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(500, messages.INTERNAL_ERROR)
    return defaults.server_error(request)
