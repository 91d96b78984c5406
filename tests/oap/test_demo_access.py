"""Against the demo data: what the partner Colombia (co.partner) can reach, everywhere in the admin."""

import html
import re

import pytest
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse

from oap.choices import HandlingLevel
from oap.models import OperationalAction, Participation, ResultEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def colombia(demo_data, client):
    user = User.objects.get(username="co.partner")
    client.force_login(user)
    visible = set(OperationalAction.objects.visible_to(user).values_list("pk", flat=True))
    hidden = list(OperationalAction.objects.exclude(pk__in=visible))
    return user, visible, hidden


def test_colombia_sees_partner_actions_and_its_own_and_nothing_else(colombia):
    _, visible, hidden = colombia
    assert visible and hidden
    for action in OperationalAction.objects.filter(pk__in=visible).prefetch_related(
        "participations__organisation"
    ):
        codes = {p.organisation.code for p in action.participations.all()}
        assert action.handling == HandlingLevel.PARTNERS or "CO" in codes, action.code
    expected = set(
        OperationalAction.objects.filter(
            Q(handling=HandlingLevel.PARTNERS) | Q(participations__organisation__code="CO")
        ).values_list("pk", flat=True)
    )
    assert visible == expected


def leaks(page: str, hidden) -> list[str]:
    """Hidden actions whose code or title appears as the whole text of an element."""
    page = html.unescape(page)
    return [
        a.code
        for a in hidden
        if re.search(rf">\s*({re.escape(a.title)}|{re.escape(a.code)}( — [^<]*)?)\s*<", page)
    ]


def test_no_hidden_action_is_reachable_through_any_admin_page(client, colombia):
    user, visible, hidden = colombia
    visible_plans = set(OperationalAction.objects.filter(pk__in=visible).values_list("plan__code", flat=True))
    hidden_plan_codes = {a.plan.code for a in hidden} - visible_plans
    # every changelist, showing all rows where the admin allows it
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(type("R", (), {"user": user})()):
            continue
        response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        assert response.status_code == 200
        assert leaks(response.content.decode(), hidden) == [], model.__name__
        cl = response.context["cl"]
        if model is OperationalAction:
            assert set(cl.queryset.values_list("pk", flat=True)) == visible
        elif model in (Participation, ResultEntry):
            assert set(cl.queryset.values_list("action_id", flat=True)) <= visible
        # the choices of every list filter
        for spec in cl.filter_specs:
            for choice in spec.choices(cl):
                display = str(choice.get("display"))
                assert not any(a.code == display for a in hidden), display
                assert not any(code in display for code in hidden_plan_codes), display
    # the pages of each hidden action, its participations and results
    for action in hidden:
        for view in ("change", "delete", "history"):
            response = client.get(reverse(f"admin:oap_operationalaction_{view}", args=[action.pk]))
            assert response.status_code in (302, 404), (action.code, view)
        for participation in action.participations.all():
            response = client.get(reverse("admin:oap_participation_change", args=[participation.pk]))
            assert response.status_code == 302
        entry = action.results.first()
        if entry is not None:
            for view in ("change", "history"):
                response = client.get(reverse(f"admin:oap_resultentry_{view}", args=[entry.pk]))
                assert response.status_code in (302, 404)


def test_no_hidden_action_through_autocompletes(client, colombia):
    _, visible, hidden = colombia
    hidden_pks = {str(a.pk) for a in hidden}
    sources = [("resultentry", "action"), ("participation", "action")]
    for model_name, field_name in sources:
        page, offered = 1, set()
        while True:
            response = client.get(
                "/admin/autocomplete/",
                {"app_label": "oap", "model_name": model_name, "field_name": field_name, "page": page},
            )
            assert response.status_code == 200
            data = response.json()
            offered |= {item["id"] for item in data["results"]}
            if not data["pagination"]["more"]:
                break
            page += 1
        assert not offered & hidden_pks, (model_name, field_name)
        assert offered <= {str(pk) for pk in visible}
