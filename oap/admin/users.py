"""Users: each of one organisation and one role."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from ..models import (
    User,
)
from .base import OapAdminMixin
from .filters import with_title


@admin.register(User)
class UserAdmin(OapAdminMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("EMPACT"), {"fields": ("organisation", "role")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("EMPACT"), {"classes": ("wide",), "fields": ("organisation", "role")}),
    )
    list_display = ("username", "full_name", "organisation_code", "role", "is_staff")
    list_filter = ("role", "organisation__kind", "organisation", "is_staff", "is_superuser", "is_active")
    list_select_related = ("organisation",)
    search_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "organisation__code",
        "organisation__name",
    )
    autocomplete_fields = ("organisation",)

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: User):
        return with_title(obj.get_full_name() or "—", obj.email)

    @admin.display(description=_("organisation"), ordering="organisation__code")
    def organisation_code(self, obj: User):
        return with_title(obj.organisation.code, obj.organisation.name) if obj.organisation else "—"
