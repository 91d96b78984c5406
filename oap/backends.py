"""The authentication backend: Django's permission checks answered by the access rule.

`user.has_perm("oap.change_resultentry", entry)` asks `oap.access.can(user, "change", entry)`, so
the admin's object checks and the querysets can never disagree.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from .access import ACTIONS, can


class AccessBackend(ModelBackend):
    """Model permissions from the user's groups and role group; object permissions from the rule.

    `user.has_perm("oap.change_resultentry", entry)` asks `can(user, "change", entry)`, so the
    admin's object checks and the querysets can never disagree.
    """

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(Q(group__user=user_obj) | Q(group__name=user_obj.role)).distinct()

    def get_all_permissions(self, user_obj, obj=None):
        """The user's own, their groups' and their role group's permissions, in one query."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                permissions = Permission.objects.all()
            else:
                permissions = Permission.objects.filter(
                    Q(user=user_obj) | Q(group__user=user_obj) | Q(group__name=user_obj.role)
                ).distinct()
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None:
            return super().has_perm(user_obj, perm)
        if not user_obj.is_active:
            return False
        app_label, _, codename = perm.partition(".")
        action, _, model_name = codename.partition("_")
        opts = obj._meta
        if app_label != opts.app_label or model_name != opts.model_name or action not in ACTIONS:
            return False
        return can(user_obj, action, obj)


class OrganisationReader:
    """Reads as `organisation` does, with the viewer role's permissions: for deliveries to an
    organisation rather than to a person (its webhook). Every question goes to the access rule as
    for a user: `access.can(OrganisationReader(org), "view", entry)`."""

    is_authenticated = is_active = True
    is_anonymous = is_superuser = False
    pk = None

    def __init__(self, organisation, role: str = "viewer"):
        self.organisation, self.organisation_id, self.role = organisation, organisation.pk, role
        self._perms = None

    def has_perm(self, perm: str, obj=None) -> bool:
        if obj is not None:
            raise TypeError("ask access.can(reader, action, obj) about an object")
        if self._perms is None:
            permissions = Permission.objects.filter(group__name=self.role)
            self._perms = {
                f"{app}.{code}"
                for app, code in permissions.values_list("content_type__app_label", "codename")
            }
        return perm in self._perms

    def __str__(self) -> str:
        return f"{self.organisation.code} (as an organisation)"
