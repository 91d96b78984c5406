"""Do now what the beat does for notifications: reminders, the weekly digest, due e-mails and webhooks."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.delivery import deliver_due
from notifications.schedule import send_reminders, send_weekly_digests

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Command(BaseCommand):
    help = (
        "Make the deadline reminders (and, on NOTIFICATIONS_DIGEST_WEEKDAY or with --weekly, the weekly "
        "digest), then send the due e-mails and webhook deliveries. Each reminder and digest is made once "
        "per user and period or week, so running this as often as you like is safe; without a beat (tasks "
        "run in process), run it from cron every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--weekly", action="store_true", help="Make this week's digest whatever the day.")

    def handle(self, *args, weekly=False, **options):
        reminders = send_reminders()
        today = WEEKDAYS[timezone.localdate().weekday()]
        digests = 0
        if weekly or today == str(settings.NOTIFICATIONS_DIGEST_WEEKDAY).lower()[:3]:
            digests = send_weekly_digests()
        sent = deliver_due()
        self.stdout.write(
            f"reminders {reminders}, weekly digests {digests}; attempted: e-mails {sent['emails']}, "
            f"webhooks {sent['webhooks']}"
        )
