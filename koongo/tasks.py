"""The project's own periodic task: beat's liveness tick for the metrics."""

from celery import shared_task

from koongo.observability.backlog import beat_ticked


@shared_task(name="koongo.tasks.beat_tick", ignore_result=True)
def beat_tick() -> None:
    beat_ticked()
