"""Create an API token for a user; the key is printed once, as the last line of the output."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from oap.models import User


class Command(BaseCommand):
    help = "Create a hashed, expiring API token for USERNAME and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--days", type=int, default=None, help="Days until the token expires (default: 90)."
        )

    def handle(self, *args, username, days, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as error:
            raise CommandError(f"No user named {username!r}.") from error
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        days = 90 if days is None else days
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        instance, key = AuthToken.objects.create(user=user, expiry=datetime.timedelta(days=days))
        self.stdout.write(
            f"Token for {username} created; it expires {instance.expiry:%Y-%m-%d %H:%M %Z}. "
            "Send it as 'Authorization: Token <key>'. Revoke it in the admin (Knox → Auth tokens)."
        )
        self.stdout.write(key)
