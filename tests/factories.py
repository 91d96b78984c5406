"""factory_boy factories for the domain: each builds a valid row with its required relations."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from oap import models
from oap.choices import (
    ActionStatus,
    EntryStatus,
    HandlingLevel,
    OrganisationKind,
    ParticipationRole,
    ResultCategory,
    ResultUnit,
    UserRole,
)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = models.Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"O{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.code}")
    kind = OrganisationKind.MEMBER_STATE


class CycleFactory(DjangoModelFactory):
    class Meta:
        model = models.Cycle
        django_get_or_create = ("code",)

    code = "2022-2025"
    name = "EMPACT 2022–2025"
    start_year = 2022
    end_year = 2025


class PriorityFactory(DjangoModelFactory):
    class Meta:
        model = models.PriorityCrimeArea

    cycle = factory.SubFactory(CycleFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"Priority {o.code}")


class CHSGFactory(DjangoModelFactory):
    class Meta:
        model = models.CommonHorizontalStrategicGoal

    code = factory.Sequence(lambda n: f"CHSG-T{n}")
    number = factory.Sequence(lambda n: 100 + n)
    name = factory.LazyAttribute(lambda o: f"Goal {o.code}")


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = models.OperationalActionPlan

    code = factory.Sequence(lambda n: f"PLAN-{n}")
    name = factory.LazyAttribute(lambda o: f"Plan {o.code}")
    priority = factory.SubFactory(PriorityFactory)
    start_year = 2022
    end_year = 2025
    driver = factory.SubFactory(OrganisationFactory)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = models.OperationalAction

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: f"OA {n}.1")
    title = factory.LazyAttribute(lambda o: f"Action {o.code}")
    status = ActionStatus.ONGOING
    handling = HandlingLevel.EU
    start = datetime.date(2022, 1, 1)
    end = datetime.date(2025, 12, 31)


class ParticipationFactory(DjangoModelFactory):
    class Meta:
        model = models.Participation

    action = factory.SubFactory(ActionFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = ParticipationRole.PARTICIPANT


class ResultTypeFactory(DjangoModelFactory):
    class Meta:
        model = models.ResultType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"counter_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").capitalize())
    unit = ResultUnit.COUNT
    category = ResultCategory.ARRESTS


class ResultEntryFactory(DjangoModelFactory):
    class Meta:
        model = models.ResultEntry

    action = factory.SubFactory(ActionFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    result_type = factory.SubFactory(ResultTypeFactory)
    year = 2022
    value = Decimal("10")
    status = EntryStatus.DRAFT


class UserFactory(DjangoModelFactory):
    class Meta:
        model = models.User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = UserRole.COORDINATOR
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
