"""manage.py rebuild_rollups [--check] — recompute the result rollups from the entries, or compare.

The rollups (oap/rollups.py) are kept exact by database triggers; this command is the repair
and the audit: ``--check`` writes nothing, lists the differences and exits with status 1 when
there is one (drift means a trigger was missing or disabled while data was written).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from oap.rollups import expected_triggers, installed_triggers, rebuild_rollups, rollup_drift

SHOWN = 20  # differences listed one by one


class Command(BaseCommand):
    help = "Recompute the rollups of the validated result entries from the entries (or --check them)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the rollups with the entries without writing; exit status 1 on any difference.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default)."
        )

    def handle(self, *args, check: bool, database: str, **options):
        connection = connections[database]
        missing = sorted(expected_triggers(connection) - installed_triggers(connection))
        if missing:
            self.stderr.write(f"missing rollup triggers: {', '.join(missing)} (migrate oap to install them)")
        if not check:
            counts = rebuild_rollups(using=database)
            rows = ", ".join(f"{table} {count} rows" for table, count in counts.items())
            self.stdout.write(f"rollups rebuilt from the entries: {rows}")
            return
        drift = rollup_drift(using=database)
        for difference in drift[:SHOWN]:
            self.stdout.write(f"  {difference}")
        if len(drift) > SHOWN:
            self.stdout.write(f"  ... and {len(drift) - SHOWN} more")
        if drift or missing:
            raise CommandError(
                f"rollups differ from the entries: {len(drift)} rows, {len(missing)} triggers missing",
                returncode=1,
            )
        self.stdout.write("rollups match the entries")
