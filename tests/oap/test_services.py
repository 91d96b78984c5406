import pytest
from django.core.exceptions import ValidationError

from oap import services
from oap.choices import ParticipationRole
from oap.models import OperationalAction
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_action_create_needs_a_leader():
    plan = f.PlanFactory()
    with pytest.raises(ValidationError) as error:
        services.action_create(plan=plan, code="X 1.1", title="No leader", leader=None)
    assert "leader" in error.value.message_dict["participants"][0]
    assert not OperationalAction.objects.filter(code="X 1.1").exists()


def test_action_create_sets_roles():
    plan = f.PlanFactory()
    es, de, fr = (f.OrganisationFactory(code=code) for code in ("ES", "DE", "FR"))
    action = services.action_create(
        plan=plan, code="X 1.2", title="Joint Action Days", leader=es, co_leaders=[de], participants=[fr]
    )
    roles = dict(action.participations.values_list("organisation__code", "role"))
    assert roles == {
        "ES": ParticipationRole.LEADER,
        "DE": ParticipationRole.CO_LEADER,
        "FR": ParticipationRole.PARTICIPANT,
    }


def test_action_create_refuses_an_organisation_twice_and_writes_nothing():
    plan = f.PlanFactory()
    es = f.OrganisationFactory(code="ES")
    with pytest.raises(ValidationError) as error:
        services.action_create(plan=plan, code="X 1.3", title="Twice", leader=es, participants=[es])
    assert "participants" in error.value.message_dict
    assert not OperationalAction.objects.filter(code="X 1.3").exists()


def test_action_create_validates_fields():
    plan = f.PlanFactory()
    es = f.OrganisationFactory(code="ES")
    with pytest.raises(ValidationError) as error:
        services.action_create(plan=plan, code="X 1.4", title="Bad handling", leader=es, handling="everyone")
    assert "handling" in error.value.message_dict
