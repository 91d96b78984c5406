"""Operational actions and who takes part in them."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..access import RestrictedQuerySet
from ..choices import (
    ActionStatus,
    HandlingLevel,
    ParticipationRole,
)
from .reference import (
    CodedModel,
    CommonHorizontalStrategicGoal,
    OperationalActionPlan,
    Organisation,
    RestrictedCodeQuerySet,
)


class OperationalAction(CodedModel):
    """One operational action (OA) of a plan, with a leader, co-leaders and participants."""

    plan = models.ForeignKey(
        OperationalActionPlan, on_delete=models.PROTECT, related_name="actions", verbose_name=_("plan")
    )
    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("For example DRUGS-CCH 3.2."))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    handling = models.CharField(
        _("handling level"),
        max_length=16,
        choices=HandlingLevel.choices,
        default=HandlingLevel.EU,
        help_text=_("Who may see the action besides its participants, the plan's drivers and the hub."),
    )
    chsgs = models.ManyToManyField(
        CommonHorizontalStrategicGoal, related_name="actions", blank=True, verbose_name=_("CHSGs")
    )
    organisations = models.ManyToManyField(
        Organisation, through="Participation", related_name="actions", verbose_name=_("organisations")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = RestrictedCodeQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[chsgs])

    class Meta:
        ordering = ["code"]
        verbose_name = _("operational action")
        verbose_name_plural = _("operational actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=True) | Q(end__gte=F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(handling__in=HandlingLevel.values), name="%(app_label)s_%(class)s_handling_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Participation(models.Model):
    """An organisation's part in an action: leader (exactly one), co-leader or participant."""

    action = models.ForeignKey(
        OperationalAction, on_delete=models.CASCADE, related_name="participations", verbose_name=_("action")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="participations", verbose_name=_("organisation")
    )
    role = models.CharField(
        _("role"), max_length=16, choices=ParticipationRole.choices, default=ParticipationRole.PARTICIPANT
    )

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["action", "role", "organisation__name"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["action", "organisation"],
                name="%(app_label)s_%(class)s_unique_organisation",
                violation_error_message=_("This organisation already takes part in the action."),
            ),
            models.UniqueConstraint(
                fields=["action"],
                condition=Q(role=ParticipationRole.LEADER),
                name="%(app_label)s_%(class)s_one_leader",
                violation_error_message=_("An operational action has exactly one leader."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=ParticipationRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "action"], name="oap_particip_org_action_idx"),
            # the access rule's "actions this organisation leads" (role = leader) without reading
            # every action's leader: a third country's results list asks it on every page
            models.Index(fields=["organisation", "role", "action"], name="oap_particip_org_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.code} — {self.get_role_display()} in {self.action.code}"
