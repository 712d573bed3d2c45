"""A minimal Django project whose security settings all come from app_settings.

Only what the app itself needs is set here; everything the role decides
(hosts, origins, proxy header, cookies, HSTS, headers, SECRET_KEY and its
fallbacks) comes from the role's snippet at the end, as its README says.
"""

ROOT_URLCONF = "demo.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Sessions signed with SECRET_KEY (and checked against SECRET_KEY_FALLBACKS):
# a rotation test needs no database.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
DATABASES: dict[str, dict] = {}
USE_TZ = True

from .bulwark_app_settings import *  # noqa: E402,F403
