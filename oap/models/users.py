"""Users: each belongs to one organisation and holds one role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, _user_has_perm
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import (
    UserRole,
)
from .reference import (
    Organisation,
)


class User(AbstractUser):
    """A person using the service: belongs to one organisation and has one role."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=16, choices=UserRole.choices, default=UserRole.VIEWER)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=UserRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def has_perm(self, perm, obj=None):
        """Object checks always ask the access rule, even for superusers.

        Django lets an active superuser do anything; for a given object the rule in
        `oap.access` (validated entries and locked years are frozen for everybody) decides.
        """
        if obj is not None and self.is_active:
            return _user_has_perm(self, perm, obj)
        return super().has_perm(perm, obj)

    def __str__(self) -> str:
        org = f" ({self.organisation.code})" if self.organisation_id else ""
        return f"{self.get_full_name() or self.username}{org}"
