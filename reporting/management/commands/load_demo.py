"""manage.py load_demo — the demo data set (oap.demo), then its published 2022 and 2023 factsheets."""

from django.core.management.base import BaseCommand, CommandError

from oap.demo import ANALYST_USERNAME, load_demo
from oap.models import User
from reporting.demo import DemoPublishError, publish_demo_factsheets


class Command(BaseCommand):
    help = (
        "Load the reference data and the demo data set (actions, participants, users, the validated "
        "results of 2022 and 2023, and draft, submitted, returned and validated results of 2024–2026), "
        "then compile and publish the 2022 and 2023 factsheets in process (which locks those years). "
        "Idempotent: running it again changes nothing."
    )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        load_demo(stdout=self.stdout, verbosity=verbosity)
        analyst = User.objects.get(username=ANALYST_USERNAME)
        try:
            factsheets = publish_demo_factsheets(by=analyst)
        except DemoPublishError as error:
            raise CommandError(str(error)) from error
        if verbosity:
            for factsheet, new in factsheets:
                what = "published now, its year locked" if new else "already published"
                self.stdout.write(
                    f"  factsheet {factsheet.year} (EU-wide) version {factsheet.version}: {what}"
                )
