from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def discover(request: HttpRequest) -> HttpResponse:
    return render(request, "feeds/discover.html", {"nav": "discover"})


@login_required
def following(request: HttpRequest) -> HttpResponse:
    return render(request, "feeds/following.html", {"nav": "following"})
