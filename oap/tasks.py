"""Celery tasks of the oap app: thin, taking ids, idempotent."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_results_task(job_id: int) -> None:
    """Import a confirmed results spreadsheet (all or nothing); a done job is left as it is."""
    from .imports import import_job_run

    import_job_run(job_id)
