from duecourse.shell.navigation import navigation_for


def navigation(request):
    actor = getattr(request, "actor", None)
    if actor is None or not actor:
        return {"nav_items": [], "nav_more": [], "actor": None}
    items = navigation_for(actor, request.path)
    return {
        "nav_items": [item for item in items if not item["secondary"]],
        "nav_more": [item for item in items if item["secondary"]],
        "actor": actor,
    }
