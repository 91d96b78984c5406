"""The access matrix: roles × handling levels × models × {view, change, delete}.

The expected answers come from the tables written here, not from the code under test. Each
answer is asked three ways — `visible_to`/`editable_by`/`deletable_by` querysets and
`user.has_perm(perm, obj)` — and all must agree with the table.
"""

import pytest

from oap import access
from oap.choices import UserRole
from oap.models import OperationalAction, ResultEntry
from tests import factories as f
from tests.access_matrix import EXPECTED, LEVELS, MODELS, ROLES

pytestmark = pytest.mark.django_db

QUERYSET = {"view": "visible_to", "change": "editable_by", "delete": "deletable_by", "validate": "restrict"}


def test_access_matrix(world):
    rows, users = world
    unexpected_allows, unexpected_denials, checked = [], [], 0
    for (model_name, row_name), table in EXPECTED.items():
        model = MODELS[model_name]
        for op, by_role in table.items():
            for role, by_level in by_role.items():
                user = users[role]
                user = type(user).objects.get(pk=user.pk)  # fresh permission caches
                queryset = getattr(model.objects, QUERYSET[op])
                allowed = queryset(user, op) if op == "validate" else queryset(user)
                allowed_rows = set(allowed.values_list("pk", flat=True))
                for level, expected in by_level.items():
                    obj = rows[level][(model_name, row_name)]
                    perm = f"oap.{op}_{model._meta.model_name}"
                    answers = {
                        "queryset": obj.pk in allowed_rows,
                        "has_perm": user.has_perm(perm, obj),
                        "can": access.can(user, op, obj),
                    }
                    checked += 1
                    for how, answer in answers.items():
                        case = f"{role} {op} {model_name}:{row_name} [{level}] via {how}"
                        if answer and not expected:
                            unexpected_allows.append(case)
                        elif expected and not answer:
                            unexpected_denials.append(case)
    assert checked == len(ROLES) * len(LEVELS) * sum(len(table) for table in EXPECTED.values())
    assert unexpected_allows == [], f"{len(unexpected_allows)} unexpected allows"
    assert unexpected_denials == [], f"{len(unexpected_denials)} unexpected denials"


def test_inactive_and_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    _rows, users = world
    inactive = users["driver_ms"]
    inactive.is_active = False
    inactive.save()
    for model in MODELS.values():
        assert not model.objects.visible_to(AnonymousUser()).exists()
        assert not model.objects.visible_to(inactive).exists()


def test_a_user_without_organisation_sees_nothing(world):
    loner = f.UserFactory(username="loner", organisation=None, role=UserRole.COORDINATOR)
    for model in MODELS.values():
        assert not model.objects.visible_to(loner).exists()


def test_viewer_role_sees_but_changes_nothing(world):
    _rows, users = world
    viewer = f.UserFactory(
        username="viewer", organisation=users["driver_ms"].organisation, role=UserRole.VIEWER
    )
    assert OperationalAction.objects.visible_to(viewer).count() == 3
    for model in MODELS.values():
        assert not model.objects.editable_by(viewer).exists()
        assert not model.objects.deletable_by(viewer).exists()


def test_leader_manages_its_action_and_validates(world):
    rows, _users = world
    leader = f.UserFactory(
        username="leader",
        organisation=rows["eu"][("action", "action")].participations.get(role="leader").organisation,
    )
    assert OperationalAction.objects.editable_by(leader).count() == 3
    # the others' submitted figures (3 organisations × 3 levels) and the validated ones, which may
    # be reopened; never the leader's own draft
    reviewable = ResultEntry.objects.restrict(leader, "validate")
    assert reviewable.count() == 12
    assert not reviewable.filter(organisation=leader.organisation).exists()


def test_entries_of_some_actions_are_those_the_whole_rule_shows(world):
    """`restrict(..., among=ids)` (a page's totals) looks the visible actions up among the asked
    ones: it answers exactly what `visible_to` answers for those actions, for every role and status."""
    _rows, users = world
    actions = list(OperationalAction.objects.order_by("pk").values_list("pk", flat=True))
    seen = []
    for role, user in users.items():
        user = type(user).objects.get(pk=user.pk)
        for ids in (actions, actions[::2], actions[1:2], []):
            expected = set(
                ResultEntry.objects.visible_to(user).filter(action_id__in=ids).values_list("pk", flat=True)
            )
            got = access.restrict(ResultEntry.objects.filter(action_id__in=ids), user, among=ids)
            assert set(got.values_list("pk", flat=True)) == expected, (role, ids)
            seen.append(len(expected))
    total = ResultEntry.objects.count()
    assert max(seen) == total and any(0 < n < total for n in seen)
