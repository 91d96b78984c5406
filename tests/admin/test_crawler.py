"""Every admin URL, as every demo role, against a hidden, a view-only and a changeable row.

See tests/admin/crawl.py for what each request is judged on. The crawl of one role is one test;
it collects every finding before failing, so one run lists them all.
"""

import time
from collections import defaultdict

import pytest

from oap.models import ImportJob, User

from .conftest import ROLES
from .crawl import Crawl, pick_rows, registered_admins, signature, site_targets, targets_of

pytestmark = pytest.mark.django_db


def _compare_hidden_and_missing(crawl, model_admin, answers):
    for pattern, kinds in answers.items():
        if "hidden" not in kinds or "missing" not in kinds:
            continue
        (hidden, h_get, h_posts), (missing, m_get, m_posts) = kinds["hidden"], kinds["missing"]
        ids = [part for part in hidden.path.split("/") + missing.path.split("/") if part.isdigit()]
        for method, a, b in [
            ("GET", h_get, m_get),
            *(("POST", x, y) for x, y in zip(h_posts, m_posts, strict=True)),
        ]:
            if signature(a, ids) != signature(b, ids):
                crawl.problems.append(
                    f"{crawl.user.username} {method} {pattern}: a hidden row answers unlike a missing id: "
                    f"{signature(a, ids)[:3]} != {signature(b, ids)[:3]}"
                )


@pytest.mark.parametrize("username", ROLES)
def test_no_admin_url_writes_or_shows_what_the_rule_forbids(crawl_world, client, username, capsys):
    started = time.perf_counter()
    user = User.objects.get(username=username)
    client.force_login(user)
    crawl = Crawl(client, user)
    jobs = pick_rows(user, ImportJob)
    for model_admin in registered_admins():
        rows = pick_rows(user, model_admin.model)
        answers = defaultdict(dict)
        for target in targets_of(model_admin, rows, jobs):
            page, posted = crawl.visit(target, rows, model_admin)
            answers[target.pattern][target.kind] = (target, page, posted)
        _compare_hidden_and_missing(crawl, model_admin, answers)
    for target in site_targets(user):
        crawl.visit(target, {}, None)
    with capsys.disabled():  # figures for the report, never assertions
        print(
            f"\n[crawl] {username}: {len(crawl.covered)} (URL pattern × row kind), {crawl.requests} requests, "
            f"{sum(crawl.writes.values())} allowed writes, {time.perf_counter() - started:.1f} s\n"
            f"[crawl]   writes by URL: {dict(sorted(crawl.writes.items()))}"
        )
    assert not crawl.problems, f"{len(crawl.problems)} findings:\n" + "\n".join(crawl.problems)
