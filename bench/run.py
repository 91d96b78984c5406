"""The benchmarks: factsheet compile, API list latency, bulk import, HTTP throughput.

    make bench                                   # generate (if needed) and run at BENCH_SCALE (1.0)
    BENCH_SCALE=0.05 .venv/bin/python bench/run.py --only compile,api

Runs on the dedicated database of bench/generate.py (BENCH_DATABASE_URL) and writes
bench/results.json; prints a table. Benchmarks are not tests: nothing asserts on time here.

1. compile: `reporting.compile.compile_figures(year=…)` (EU-wide, from the entries themselves) for
   the year holding about a quarter of the entries, against ONE hand-written SQL statement
   computing the same headline and breakdowns (bench/figures.sql), run in turns; best of
   BENCH_REPEAT runs each, and the figures of both compared.
2. api: GET /api/v1/actions/ and /api/v1/results/ (keyset pages of 50, no cache) through the whole
   Django stack in process (test Client, knox token header), as a hub analyst (Europol) and as a
   third-country coordinator (Colombia): p50/p95 ms over pages 1 to 50 and queries per request;
   then page 1 000 (or the last page, when the list is shorter), reached once by following the
   `next` cursors, timed in turns with page 1.
3. import: `oap.services.results_record_bulk` (the one row checker and writer of POST
   /api/v1/results/bulk/ and the admin spreadsheet import) for BENCH_IMPORT_ROWS free slots
   (action, organisation, counter, year) of a German coordinator, with their history rows, rolled
   back, against raw COPY of the same rows into the same table (rolled back too).
4. http: requests per second of /api/v1/actions/ under gunicorn with the production settings
   (DEBUG=0, empact_tracker/gunicorn.conf.py), 16 concurrent clients for 20 s, from wrk (or a
   Python thread generator when wrk is not installed) on loopback.

The load averages at the start and the end are recorded: on a shared machine, read the ratios
(compile / SQL, third country / hub, page 1 000 / page 1, import / COPY), which both sides of a
comparison meet alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

RESULTS = common.BENCH_DIR / "results.json"
PARTS = ("compile", "api", "import", "http")
TARGETS = {
    "compile_seconds": "<= 0.5",
    "compile_ratio": "<= 1.5",
    "actions_p50_ms": "<= 40",
    "results_p50_ms": "<= 30",
    "api_queries": "constant, <= 8",
    "third_country_vs_hub": "<= 1.3",
    "deep_vs_page1": "<= 2",
    "import_rows_per_s": ">= 15000",
    "requests_per_s": ">= 50",
}
#: in-process requests: the production settings, minus the HTTPS redirect (the test client speaks
#: plain HTTP) and with throttling out of the way (a benchmark sends thousands of requests a minute)
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "API_THROTTLE_USER": "100000000/minute",
    "CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
}


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def best_of(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


# --- 1. compile -------------------------------------------------------------------------------


def bench_compile(repeat: int) -> dict:
    """compile_figures against the hand-written statement of bench/figures.sql, run in turns."""
    from django.db import connection

    from oap.models import ResultEntry

    try:
        from reporting.compile import QUERY_COUNT, compile_figures
    except ImportError as error:  # reporting not ready
        return {"compile_error": f"reporting.compile is not importable: {error}"}
    table = ResultEntry._meta.db_table
    with connection.cursor() as c:
        c.execute(f"SELECT year, count(*) FROM {table} GROUP BY year ORDER BY year")
        per_year = dict(c.fetchall())
    total = sum(per_year.values())
    # the year closest to a quarter of the entries, preferring one with a previous year
    year = min(per_year, key=lambda y: (y - 1 not in per_year, abs(per_year[y] - total / 4), -y))
    statement = (common.BENCH_DIR / "figures.sql").read_text()

    def by_hand() -> list[dict]:
        with connection.cursor() as c:
            c.execute(statement, {"year": year, "previous": year - 1})
            names = [column[0] for column in c.description]
            return [dict(zip(names, row, strict=True)) for row in c.fetchall()]

    compiled, rows = compile_figures(year=year), by_hand()  # warm the caches (and the connection)
    compile_times, sql_times = [], []
    for _ in range(repeat):  # in turns, so that both meet the same machine
        start = time.perf_counter()
        compiled = compile_figures(year=year)
        compile_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows = by_hand()
        sql_times.append(time.perf_counter() - start)
    return {
        "compile_year": year,
        "compile_year_entries": per_year[year],
        "compile_year_validated_entries": compiled.figures["entries"],
        "compile_queries": QUERY_COUNT,
        "compile_seconds": round(min(compile_times), 3),
        "compile_seconds_median": round(statistics.median(compile_times), 3),
        "sql_seconds": round(min(sql_times), 3),
        "sql_seconds_median": round(statistics.median(sql_times), 3),
        "compile_ratio": round(min(compile_times) / min(sql_times), 2),
        "compile_checksum": compiled.checksum[:16],
        "compile_differs_from_sql": compile_differences(compiled.figures, rows),
    }


def compile_differences(figures: dict, rows: list[dict]) -> list[str]:
    """Where the compile's headline and breakdowns differ from the hand-written statement's."""
    from django.db import connection

    from reporting.compile import BREAKDOWN_KEYS, HEADLINE_KEYS, number

    with connection.cursor() as c:
        c.execute("SELECT id, code FROM oap_operationalactionplan")
        plans = dict(c.fetchall())
        c.execute(
            "SELECT p.id, p.code || ' ' || y.code FROM oap_prioritycrimearea p JOIN oap_cycle y ON y.id = p.cycle_id"
        )
        priorities = dict(c.fetchall())
    year = figures["year"]
    expected = {("headline", year): figures["headline"], ("headline", year - 1): figures["previous"] or {}}
    expected |= {("plan", row["code"]): row for row in figures["by_plan"]}
    expected |= {("priority", f"{row['code']} {row['cycle']}"): row for row in figures["by_priority"]}
    found = {}
    for row in rows:
        if row["plan_id"] is not None and row["year"] == year:
            found[("plan", plans[row["plan_id"]])] = row
        elif row["priority_id"] is not None and row["year"] == year:
            found[("priority", priorities[row["priority_id"]])] = row
        elif row["plan_id"] is None and row["priority_id"] is None:
            found[("headline", row["year"])] = row
    differences = [
        f"{key} missing on one side" for key in set(expected) ^ set(found) if expected.get(key) != {}
    ]
    for key in set(expected) & set(found):
        for name in HEADLINE_KEYS if key[0] == "headline" else BREAKDOWN_KEYS:
            if number(found[key][name]) != expected[key].get(name, 0):
                differences.append(f"{key} {name}: compile {expected[key].get(name)}, SQL {found[key][name]}")
    return differences


# --- 2. API latency ---------------------------------------------------------------------------


def token_for(username: str) -> str:
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    user = get_user_model().objects.get(username=username)
    return AuthToken.objects.create(user=user)[1]


def walk(client, url: str, header: dict, pages: int) -> list[str]:
    """The URLs of pages 1 to `pages` (fewer when the list ends first), following `next` links."""
    urls = [url]
    while len(urls) < pages:
        response = client.get(urls[-1], **header)
        if response.status_code != 200:
            raise SystemExit(f"GET {urls[-1]}: {response.status_code} {response.content[:300]!r}")
        following = response.json()["next"]
        if following is None:
            break
        urls.append(following.removeprefix("http://testserver"))
    return urls


def timed(client, url: str, header: dict) -> tuple[float, int, float]:
    """(milliseconds, queries, milliseconds of this process's CPU) of one GET through the whole
    stack; the CPU time leaves out the waits for a core that other work on the machine causes (and
    the database server's own time)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        cpu, start = time.process_time(), time.perf_counter()
        response = client.get(url, **header)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000, len(captured), cpu * 1000


def bench_api(requests: int, deep: int) -> dict:
    """Pages of 50 of the actions and results lists, no cache: p50/p95 over `requests` GETs of
    pages 1 to 50 (in random turns), queries per request, and page `deep` (reached once by
    following the `next` cursors) against page 1, timed in turns."""
    import random

    from django.test import Client

    out: dict = {"api_requests_per_case": requests}
    rng = random.Random(8)
    client = Client()
    for who, username in (("hub", common.HUB_ANALYST), ("third_country", common.PARTNER)):
        header = {"HTTP_AUTHORIZATION": f"Token {token_for(username)}"}
        for endpoint in ("actions", "results"):
            key = f"{endpoint}_{who}"
            count = client.get(f"/api/v1/{endpoint}/", {"count": "true", "page_size": 1}, **header)
            out[f"{key}_count"] = count.json()["count"]
            urls = walk(client, f"/api/v1/{endpoint}/", header, deep)
            browse = urls[:50]
            for url in browse[:5]:  # warm up
                client.get(url, **header)
            times, queries, cpu = [], [], []
            for _ in range(requests):
                ms, n, cpu_ms = timed(client, rng.choice(browse), header)
                times.append(ms)
                queries.append(n)
                cpu.append(cpu_ms)
            first, last = [], []
            for _ in range(max(10, requests // 10)):  # page 1 and the deepest page, in turns
                for url, into in ((urls[0], first), (urls[-1], last)):
                    ms, n, _ = timed(client, url, header)
                    into.append(ms)
                    queries.append(n)
            out[f"{key}_p50_ms"] = round(percentile(times, 0.5), 1)
            out[f"{key}_p95_ms"] = round(percentile(times, 0.95), 1)
            out[f"{key}_p50_cpu_ms"] = round(percentile(cpu, 0.5), 1)
            out[f"{key}_queries"] = max(queries)
            out[f"{key}_queries_min"] = min(queries)
            out[f"{key}_deep_page"] = len(urls)
            out[f"{key}_page1_ms"] = round(statistics.median(first), 1)
            out[f"{key}_deep_page_ms"] = round(statistics.median(last), 1)
            out[f"{key}_deep_vs_page1"] = round(statistics.median(last) / statistics.median(first), 2)
    for endpoint in ("actions", "results"):
        out[f"{endpoint}_third_country_vs_hub"] = round(
            out[f"{endpoint}_third_country_p50_ms"] / out[f"{endpoint}_hub_p50_ms"], 2
        )
    return out


# --- 3. bulk import ---------------------------------------------------------------------------


def import_rows(username: str, limit: int) -> list[dict]:
    """Rows a coordinator may record: their organisation's counters in the actions it takes part
    in, in the actions' years, for (action, counter, year) slots the data set leaves free: a whole
    year, or (every third slot) both half-years."""
    from django.contrib.auth import get_user_model

    from oap.models import OperationalAction, ResultEntry, ResultType

    user = get_user_model().objects.select_related("organisation").get(username=username)
    organisation = user.organisation
    actions = (
        OperationalAction.objects.filter(participations__organisation=organisation)
        .select_related("plan")
        .order_by("code")
    )
    taken = set(
        ResultEntry.objects.filter(organisation=organisation)
        .order_by()
        .values_list("action_id", "result_type_id", "year")
    )
    types = list(ResultType.objects.order_by("order", "code"))
    rows: list[dict] = []
    for action in actions:
        first = action.start.year if action.start else action.plan.start_year
        last = action.end.year if action.end else action.plan.end_year
        for year in range(first, last + 1):
            for counter in types:
                if (action.pk, counter.pk, year) in taken:
                    continue
                halves = (1, 2) if len(rows) % 3 == 0 else (None,)
                for half_year in halves:
                    value = len(rows) % 997
                    rows.append(
                        {
                            "action": action.code,
                            "organisation": organisation.code,
                            "result_type": counter.code,
                            "year": year,
                            "half_year": half_year,
                            "value": str(value)
                            if counter.unit in ("count", "rounds", "units")
                            else f"{value}.5",
                            "comment": "",
                        }
                    )
                if len(rows) >= limit:
                    return rows[:limit]
    return rows


def bench_import(limit: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from oap import services
    from oap.models import OperationalAction, Organisation, ResultEntry, ResultType

    user = get_user_model().objects.select_related("organisation").get(username=common.IMPORTER)
    rows = import_rows(common.IMPORTER, limit)
    with transaction.atomic():
        cpu, start = time.process_time(), time.perf_counter()
        created = services.results_record_bulk(by=user, rows=rows, max_rows=len(rows))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert len(created) == len(rows)
        transaction.set_rollback(True)

    # the same rows, as raw COPY (codes resolved to ids beforehand: what COPY needs)
    actions = dict(
        OperationalAction.objects.filter(code__in={r["action"] for r in rows}).values_list("code", "pk")
    )
    organisations = dict(Organisation.objects.values_list("code", "pk"))
    types = dict(ResultType.objects.values_list("code", "pk"))
    now = datetime.now(UTC).isoformat()
    lines = [
        f"{actions[r['action']]}\t{organisations[r['organisation']]}\t{types[r['result_type']]}\t{r['year']}\t"
        f"{r['half_year'] or chr(92) + 'N'}\t{r['value']}\tdraft\t\t\t{user.pk}\t{now}\t{now}\n"
        for r in rows
    ]
    columns = (
        "action_id, organisation_id, result_type_id, year, half_year, value, status, comment, "
        "return_reason, entered_by_id, entered_at, updated_at"
    )
    with transaction.atomic(), connection.cursor() as c:
        start = time.perf_counter()
        with c.cursor.copy(f"COPY {ResultEntry._meta.db_table} ({columns}) FROM STDIN") as copy:
            for first in range(0, len(lines), 20_000):
                copy.write("".join(lines[first : first + 20_000]))
        copy_elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    # the rolled-back rows stay behind as dead tuples (autovacuum may be off, as on this machine):
    # clear them so that the next run, and the other benchmarks, read the same tables as this one
    history = ResultEntry.history.model._meta.db_table
    with connection.cursor() as c:
        c.execute(f"VACUUM (ANALYZE) {ResultEntry._meta.db_table}, {history}")
    rate, copy_rate = len(rows) / elapsed, len(rows) / copy_elapsed
    return {
        "import_rows": len(rows),
        "import_seconds": round(elapsed, 2),
        "import_rows_per_s": round(rate),
        "import_cpu_seconds": round(cpu, 2),
        "copy_seconds": round(copy_elapsed, 2),
        "copy_rows_per_s": round(copy_rate),
        "import_ratio_to_copy": round(rate / copy_rate, 3),
    }


# --- 4. HTTP throughput under gunicorn --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds} s")


def thread_load(url: str, token: str, clients: int, seconds: float) -> dict:
    """A Python load generator (when wrk is missing): `clients` threads with keep-alive."""
    import http.client

    counts = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds
    parsed = urllib.request.urlparse(url)

    def worker(i):
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", parsed.path, headers={"Authorization": f"Token {token}"})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                counts[i] += 1
            else:
                errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {
        "requests": sum(counts),
        "non_2xx": sum(errors),
        "seconds": round(elapsed, 1),
        "requests_per_s": round(sum(counts) / elapsed, 1),
        "load_generator": "python threads",
    }


def run_wrk(url: str, token: str, clients: int, seconds: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{clients}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"Authorization: Token {token}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = {
        q: m.group(2)
        for q in ("50%", "99%")
        if (m := re.search(rf"\s({re.escape(q)})\s+([\d.]+\w+)", output))
    }
    return {
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "seconds": seconds,
        "requests_per_s": rate,
        "latency_p50": latency.get("50%"),
        "latency_p99": latency.get("99%"),
        "load_generator": "wrk -t2",
    }


def bench_http(clients: int, seconds: int) -> dict:
    """Requests per second of the actions list (page 1) under gunicorn, no cache."""
    result = _gunicorn_load(clients, seconds)
    workers = os.environ.get("WEB_CONCURRENCY") or str(min((os.cpu_count() or 1) * 2 + 1, 8))
    return {
        "requests_per_s": result["requests_per_s"],
        "http_requests": result["requests"],
        "http_non_2xx": result["non_2xx"],
        "http_latency_p50": result.get("latency_p50"),
        "http_latency_p99": result.get("latency_p99"),
        "http_clients": clients,
        "http_seconds": seconds,
        "http_load_generator": result["load_generator"],
        "gunicorn_workers": int(workers),
    }


def _gunicorn_load(clients: int, seconds: int) -> dict:
    token = token_for(common.HUB_ANALYST)
    port = free_port()
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "DATABASE_URL": common.bench_url(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(Path(tempfile.gettempdir()) / "empact-bench-gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [str(gunicorn), "-c", "empact_tracker/gunicorn.conf.py", "empact_tracker.wsgi"],
        cwd=common.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}/api/v1/actions/"
        request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:  # the page answers 200
            assert response.status == 200, response.status
        if shutil.which("wrk"):
            run_wrk(url, token, clients, 3)  # warm every worker
            return run_wrk(url, token, clients, seconds)
        thread_load(url, token, clients, 3)
        return thread_load(url, token, clients, seconds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# --- the run ----------------------------------------------------------------------------------


def machine_facts() -> dict:
    from django.db import connection

    from oap.models import OperationalAction, Participation, ResultEntry

    with connection.cursor() as c:
        c.execute("SHOW server_version")
        version = c.fetchone()[0]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": common.scale(),
        "cores": os.cpu_count(),
        "postgresql": version,
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "actions": OperationalAction.objects.count(),
        "participations": Participation.objects.count(),
        "entries": ResultEntry.objects.count(),
    }


def print_table(results: dict) -> None:
    def row(name, value, target=""):
        print(f"  {name:<44} {value!s:>14}   {target}")

    print(
        f"\nEMPACT Tracker benchmarks: scale {results['scale']} ({results['entries']} entries, "
        f"{results['actions']} actions), {results['cores']} cores, PostgreSQL {results['postgresql']}, "
        f"load {results['load_average_at_start']}"
    )
    if "compile_seconds" in results:
        row(
            f"compile_seconds (year {results['compile_year']})",
            results["compile_seconds"],
            TARGETS["compile_seconds"],
        )
        row("sql_seconds (bench/figures.sql)", results["sql_seconds"])
        row("compile_ratio", results["compile_ratio"], TARGETS["compile_ratio"])
        row("compile figures = SQL figures", not results["compile_differs_from_sql"])
    elif "compile_error" in results:
        row("compile", results["compile_error"])
    for endpoint in ("actions", "results"):
        for who in ("hub", "third_country"):
            key = f"{endpoint}_{who}"
            if f"{key}_p50_ms" not in results:
                continue
            row(
                f"/api/v1/{endpoint}/ {who} p50 / p95 ms ({results[f'{key}_count']} rows)",
                f"{results[f'{key}_p50_ms']} / {results[f'{key}_p95_ms']}",
                TARGETS[f"{endpoint}_p50_ms"],
            )
            row(f"/api/v1/{endpoint}/ {who} p50 CPU ms of the Django process", results[f"{key}_p50_cpu_ms"])
            row(
                f"/api/v1/{endpoint}/ {who} queries",
                f"{results[f'{key}_queries_min']}-{results[f'{key}_queries']}",
                TARGETS["api_queries"],
            )
            row(
                f"/api/v1/{endpoint}/ {who} page {results[f'{key}_deep_page']} / page 1",
                f"{results[f'{key}_deep_page_ms']} / {results[f'{key}_page1_ms']} ms = "
                f"{results[f'{key}_deep_vs_page1']}",
                TARGETS["deep_vs_page1"],
            )
        if f"{endpoint}_third_country_vs_hub" in results:
            row(
                f"/api/v1/{endpoint}/ third country / hub (p50)",
                results[f"{endpoint}_third_country_vs_hub"],
                TARGETS["third_country_vs_hub"],
            )
    if "import_rows_per_s" in results:
        row(
            f"import_rows_per_s ({results['import_rows']} rows)",
            results["import_rows_per_s"],
            TARGETS["import_rows_per_s"],
        )
        row("import CPU seconds of the Django process", results["import_cpu_seconds"])
        row("copy_rows_per_s", results["copy_rows_per_s"])
        row("import_ratio_to_copy", results["import_ratio_to_copy"])
    if "requests_per_s" in results:
        row(
            f"requests_per_s ({results['http_clients']} clients, {results['gunicorn_workers']} workers)",
            results["requests_per_s"],
            TARGETS["requests_per_s"],
        )
    row(
        "load average at start / end",
        f"{results['load_average_at_start'][0]} / {results['load_average_at_end'][0]}",
    )
    print(f"\nwritten to {RESULTS.relative_to(common.ROOT)}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="EMPACT Tracker benchmarks (see bench/run.py)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_API_REQUESTS", 200)))
    parser.add_argument("--deep", type=int, default=int(os.environ.get("BENCH_DEEP_PAGE", 1000)))
    parser.add_argument("--import-rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS", 50_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 3)))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_HTTP_SECONDS", 20)))
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}")

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    common.setup_django(**PRODUCTION_ENV)
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT to_regclass('bench_meta')")
        if c.fetchone()[0] is None:
            raise SystemExit("no benchmark data set: run bench/generate.py first (make bench does)")
    results = machine_facts()
    if "compile" in parts:
        results.update(bench_compile(args.repeat))
    if "api" in parts:
        results.update(bench_api(args.requests, args.deep))
    if "import" in parts:
        results.update(bench_import(args.import_rows))
    if "http" in parts:
        results.update(bench_http(args.clients, args.seconds))
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = TARGETS
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return results


if __name__ == "__main__":
    main()
