from duecourse.shell.navigation import navigation_for


def navigation(request):
    actor = getattr(request, "actor", None)
    if actor is None or not actor:
        return {"nav_items": [], "actor": None}
    return {"nav_items": navigation_for(actor, request.path), "actor": actor}
