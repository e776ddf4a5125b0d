from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from duecourse.groups import selectors


@login_required
def group_list_view(request):
    groups = selectors.group_list(actor=request.actor)
    return render(request, "groups/group_list.html", {"groups": groups})


@login_required
def group_detail_view(request, group_id: int):
    group = selectors.access_group(actor=request.actor, group_id=group_id)
    return render(request, "groups/group_detail.html", {"group": group})
