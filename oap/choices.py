"""Choices shared across the domain: organisation kinds, roles, handling levels, statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MEMBER_STATE = "member_state", _("EU Member State")
    EU_AGENCY = "eu_agency", _("EU agency or body")
    EU_INSTITUTION = "eu_institution", _("EU institution")
    THIRD_COUNTRY = "third_country", _("Third country")
    INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")


#: Kinds that see actions handled at the `eu` level.
EU_SIDE_KINDS = (
    OrganisationKind.MEMBER_STATE,
    OrganisationKind.EU_AGENCY,
    OrganisationKind.EU_INSTITUTION,
)


class UserRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


class HandlingLevel(models.TextChoices):
    PARTICIPANTS = "participants", _("Participants only")
    EU = "eu", _("EU (Member States, agencies, institutions)")
    PARTNERS = "partners", _("EU and partners")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Not completed")
    CANCELLED = "cancelled", _("Cancelled")


class ParticipationRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    CO_LEADER = "co_leader", _("Co-leader")
    PARTICIPANT = "participant", _("Participant")


class EntryStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VALIDATED = "validated", _("Validated")
    RETURNED = "returned", _("Returned")


class HalfYear(models.IntegerChoices):
    H1 = 1, _("First half (January–June)")
    H2 = 2, _("Second half (July–December)")


class ResultUnit(models.TextChoices):
    COUNT = "count", _("count")
    EUR = "eur", _("EUR")
    KG = "kg", _("kg")
    TONNES = "t", _("tonnes")
    LITRES = "l", _("litres")
    ROUNDS = "rounds", _("rounds")
    UNITS = "units", _("units")


class ResultCategory(models.TextChoices):
    ARRESTS = "arrests", _("Arrests and suspects")
    INVESTIGATIONS = "investigations", _("Investigations")
    VICTIMS = "victims", _("Victims")
    ASSETS = "assets", _("Cash and assets")
    DRUGS = "drugs", _("Drugs")
    FIREARMS = "firearms", _("Firearms, ammunition and explosives")
    DOCUMENTS = "documents", _("Documents")
    MIGRATION = "migration", _("Migration")
    ENVIRONMENT = "environment", _("Environment")
    GOODS = "goods", _("Goods and excise")
    CHECKS = "checks", _("Checks")
    RESOURCES = "resources", _("Resources deployed")
