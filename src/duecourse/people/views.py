from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from duecourse.people import selectors


@login_required
def person_list_view(request):
    people = selectors.person_list(actor=request.actor, q=request.GET.get("q"))[:50]
    return render(request, "people/person_list.html", {"people": people})


@login_required
def person_detail_view(request, person_id: int):
    person = selectors.access_person(actor=request.actor, person_id=person_id)
    return render(request, "people/person_detail.html", {"person": person})
