"""manage.py load_demo — reference data, demo actions, demo users and validated demo results."""

from django.core.management.base import BaseCommand

from oap.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the reference data and the demo data set (actions, participants, users, validated "
        "results for 2022 and 2023). Idempotent: running it again changes nothing."
    )

    def handle(self, *args, **options):
        load_demo(stdout=self.stdout, verbosity=options["verbosity"])
