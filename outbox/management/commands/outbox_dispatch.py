"""Send the outbox's pending messages now (what the beat does every few seconds)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from outbox.models import Message
from outbox.services import backlog, dispatch


class Command(BaseCommand):
    help = (
        "Send the pending outbox messages to the broker (or run them in process without one). "
        "The beat does this every OUTBOX_DISPATCH_SECONDS; use this when the beat is stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            action="store_true",
            help="Also send the messages waiting out a retry delay after a failed attempt.",
        )

    def handle(self, *args, now=False, **options):
        if now:
            Message.objects.pending().update(next_attempt_at=timezone.now())
        sent = dispatch()
        left = backlog()
        self.stdout.write(
            f"sent {sent}; pending {left['pending']} (oldest {left['oldest_pending_seconds']} s), "
            f"failed {left['failed']}"
        )
        if left["pending"]:
            last = Message.objects.pending().exclude(last_error="").order_by("-pk").first()
            if last is not None:
                self.stderr.write(f"last error: {last.last_error}")
