"""The admin site, with the inbox's model registered (the app's admin module)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from . import test_django

urlpatterns = [path("admin/", admin.site.urls), *test_django.urlpatterns]
