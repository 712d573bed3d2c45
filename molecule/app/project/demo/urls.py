"""URLs and views that report what the app sees, for the scenario's tests."""

import secrets

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.urls import path


def secure(request):
    """Does the app think this request came over HTTPS?"""
    return JsonResponse({"is_secure": request.is_secure(), "host": request.get_host()})


def form(request):
    """GET: a CSRF token (and its cookie). POST: only reached past CsrfViewMiddleware."""
    if request.method == "POST":
        return JsonResponse({"posted": True})
    return JsonResponse({"csrf_token": get_token(request)})


def session(request):
    """A token kept in the signed session cookie: the same one while the cookie is valid."""
    if "token" in request.session:
        return JsonResponse({"token": request.session["token"], "new": False})
    request.session["token"] = secrets.token_hex(8)
    return JsonResponse({"token": request.session["token"], "new": True})


urlpatterns = [
    path("secure/", secure),
    path("form/", form),
    path("session/", session),
]
