"""A Celery worker whose compiles stop inside their final transaction (test_worker.py kills it there).

    python -m tests.reporting.paused_worker SECONDS <celery worker arguments>

Test-only: it sets Django up, wraps `reporting.services._store` (which writes the figures, the
checksum and the files of a version inside the compile's final transaction) so that it sleeps
SECONDS after writing, then runs Celery's command line in this same process. With
`--pool solo` the task runs in this process too, so the patched compile is the one that runs.
"""

import os
import sys
import time


def main(argv: list[str]) -> None:
    seconds, arguments = float(argv[0]), argv[1:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empact_tracker.settings")
    import django

    django.setup()
    from reporting import services

    store = services._store

    def store_then_pause(*args, **kwargs):
        stale = store(*args, **kwargs)
        print(f"paused_worker: written, not committed; pausing {seconds}s", flush=True)
        time.sleep(seconds)
        return stale

    services._store = store_then_pause

    from celery.bin.celery import main as celery

    sys.argv = ["celery", *arguments]
    celery()


if __name__ == "__main__":
    main(sys.argv[1:])
