"""In a real browser: the report pages at 1440 and 390 px, the PDF's first page, and a compile's
progress moving on the page and in the admin while a real Celery worker runs it.

load_demo publishes the 2022 and 2023 factsheets; a second version of 2022 is compiled in process
and left open.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oap.models import User
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet
from reporting.services import factsheet_compile, factsheet_request_compile
from tests.reporting.test_worker import celery_worker_env  # noqa: F401  (the real worker, on PostgreSQL)

from .conftest import BROWSER_MARKS, SCREENSHOTS

pytestmark = BROWSER_MARKS

WIDTHS = ((1440, 900), (390, 844))  # a desktop, a phone

#: every element drawn past the viewport's right edge (or left of its left edge); the admin's
#: "skip to main content" link waits above the page until it gets the focus
WIDE_ELEMENTS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.querySelectorAll("body *")) {
    if (element.closest(".skip-to-content-link")) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      wide.push(`${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}` +
        `.${String(element.className.baseVal ?? element.className).split(" ").join(".")} ` +
        `${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 15)};
}"""


def compile_in_process(year: int) -> Factsheet:
    """The year's factsheet compiled by the task's own work, here (no broker needed)."""
    version = Factsheet.objects.filter(year=year, priority=None).count() + 1  # after load_demo's
    factsheet = Factsheet.objects.create(year=year, version=version, status=FactsheetStatus.COMPILING)
    return factsheet_compile(factsheet_id=factsheet.pk)


def assert_fits(visitor, what: str) -> None:
    found = visitor.page.evaluate(WIDE_ELEMENTS)
    assert found["scrollWidth"] <= found["width"] and not found["wide"], f"{what}: {found}"


def pdf_first_page(content: bytes, path: Path) -> Path:
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    try:
        document[0].render(scale=1.5).to_pil().save(path)
    finally:
        document.close()
    return path


def test_the_report_pages_fit_1440_and_390_px_and_the_pdf_first_page(visit):
    draft = compile_in_process(2022)  # version 2, open: load_demo published version 1
    published = Factsheet.objects.get(year=2023, version=1)
    assert draft.status == FactsheetStatus.COMPILED and published.status == FactsheetStatus.PUBLISHED

    analyst = visit("europol.analyst")
    page = analyst.page
    pages = {
        "list": "/reports/factsheets/",
        "factsheet-2023": "/reports/factsheets/2023/",
        "factsheet-2022-draft": "/reports/factsheets/2022/",
        "not-found": "/reports/factsheets/2031/",
    }
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            response = analyst.goto(path)
            assert response.status == (404 if name == "not-found" else 200), path
            page.wait_for_selector("#site-name")
            assert page.inner_text("#site-name") == "EMPACT Tracker"
            assert_fits(analyst, f"{path} at {width} px")
            analyst.shot(f"{name}-{width}px")
        assert "No factsheet of 2031 for you to read yet." in page.inner_text("#error-page")

    # the page's charts are read out by their text alternative; the headline keeps its separator
    analyst.goto("/reports/factsheets/2023/")
    assert page.locator("#chart-vs-previous svg[role=img]").get_attribute("aria-label").startswith("Chart:")
    assert "13\u202f871" in page.inner_text("[data-counter=arrests] .value")

    # the PDF as a reader downloads it, its first page kept as a picture
    response = page.request.get("/reports/factsheets/2023/factsheet.pdf")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    picture = pdf_first_page(response.body(), SCREENSHOTS / f"{analyst.test_name}-pdf-2023-page-1.png")
    assert picture.stat().st_size > 10_000


#: records, in every document of the context, its load and each text the progress shows
LOADED = "(loaded)"
RECORD_PROGRESS = """() => {
  const LOADED = "__LOADED__";
  const record = (text) => window.recordProgress(performance.timeOrigin, location.pathname, text.trim());
  const watch = () => {
    record(LOADED);
    const shown = document.querySelector("[data-progress-text]");
    if (!shown) return;
    record(shown.textContent);
    new MutationObserver(() => record(shown.textContent))
      .observe(shown, {childList: true, characterData: true, subtree: true});
  };
  document.addEventListener("DOMContentLoaded", watch);
}""".replace("__LOADED__", LOADED)


@pytest.fixture
def slow_progress_worker(celery_worker_env, tmp_path):  # noqa: F811
    """`start()` runs a real worker whose compile pauses after each progress step it commits.

    The pause is the test's patch (a `sitecustomize` on the worker's path wraps
    `reporting.services._set_progress`), so that a poll every second sees each step; the
    service itself never waits.
    """
    patch = tmp_path / "slow_progress"
    patch.mkdir()
    (patch / "sitecustomize.py").write_text(
        "import time\n"
        "from celery.signals import task_prerun\n\n"
        "@task_prerun.connect\n"
        "def _slow_progress(**_):\n"
        "    from reporting import services\n"
        "    if getattr(services._set_progress, 'slowed', False):\n"
        "        return\n"
        "    original = services._set_progress\n\n"
        "    def slowed(factsheet_id, progress):\n"
        "        original(factsheet_id, progress)\n"
        f"        time.sleep({PROGRESS_STEP_SECONDS})\n\n"
        "    slowed.slowed = True\n"
        "    services._set_progress = slowed\n"
    )
    path = os.pathsep.join(filter(None, [str(patch), os.environ.get("PYTHONPATH", "")]))
    return lambda: celery_worker_env.start(PYTHONPATH=path)


PROGRESS_STEP_SECONDS = 2.5  # more than two polls (one a second) at each step


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Celery worker on Redis")
def test_the_progress_of_a_compile_moves_without_a_reload(visit, slow_progress_worker):
    first = compile_in_process(2022)
    analyst_user = User.objects.get(username="europol.analyst")
    factsheet = factsheet_request_compile(by=analyst_user, year=2022)  # queued in Redis, no worker yet
    assert factsheet.pk == first.pk and factsheet.status == FactsheetStatus.COMPILING

    analyst = visit("europol.analyst")
    seen: list[tuple[float, str, str]] = []
    analyst.context.expose_function(
        "recordProgress", lambda origin, path, text: seen.append((origin, path, text))
    )
    analyst.context.add_init_script(script=f"({RECORD_PROGRESS})()")
    factsheet_page = analyst.page
    factsheet_page.goto("/reports/factsheets/2022/")
    admin_page = analyst.context.new_page()
    admin_page.goto(f"/admin/reporting/factsheet/?year={factsheet.year}")
    for page in (factsheet_page, admin_page):
        page.wait_for_selector("[data-progress-text]:has-text('Compiling 0 %')")
    analyst.shot("compiling-0")

    slow_progress_worker()
    factsheet_page.wait_for_selector("[data-progress-text]:has-text('Compiling 40 %')", timeout=90_000)
    analyst.shot("compiling-40")
    for page in (factsheet_page, admin_page):  # the result, once the compile is over
        page.wait_for_selector(".progress-live", state="detached", timeout=90_000)
    analyst.shot("compiled")
    assert "status Compiled" in factsheet_page.inner_text("#factsheet-status")
    assert Factsheet.objects.get(pk=factsheet.pk).status == FactsheetStatus.COMPILED

    for path in ("/reports/factsheets/2022/", "/admin/reporting/factsheet/"):
        documents: dict[float, list[str]] = {}
        for origin, where, text in seen:
            if where == path:
                documents.setdefault(origin, []).append(text)
        shown = next(iter(documents.values()))[1:]  # the document served while the task waited
        moved = [text for i, text in enumerate(shown) if i == 0 or text != shown[i - 1]]
        # it showed the compile moving step by step to its end, then loaded the result
        assert moved[0] == "Compiling 0 %" and moved[-1] == "Compiled", (path, documents)
        steps = [int(text.split()[1]) for text in moved[:-1]]
        assert len(steps) >= 2 and steps == sorted(set(steps)) and 0 < steps[-1] < 100, (path, documents)
        assert len(documents) == 2, (path, documents)  # and only then was it loaded again
