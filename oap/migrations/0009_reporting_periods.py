"""Reporting periods: the deadlines the hub sets per year or half-year; every role reads them,
analysts (of the hub: `oap.access`) set them."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


ROLE_PERMISSIONS = {
    "viewer": ["view_reportingperiod"],
    "coordinator": ["view_reportingperiod"],
    "analyst": [f"{verb}_reportingperiod" for verb in ("view", "add", "change", "delete")],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="oap", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type__app_label="oap", codename__endswith="_reportingperiod"):
        permission.group_set.clear()


class Migration(migrations.Migration):

    dependencies = [
        ('oap', '0008_drop_rollups_and_data_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalReportingPeriod',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2010), django.core.validators.MaxValueValidator(2100)], verbose_name='year')),
                ('half_year', models.PositiveSmallIntegerField(blank=True, choices=[(1, 'First half (January–June)'), (2, 'Second half (July–December)')], help_text='Leave empty for the whole year.', null=True, verbose_name='half-year')),
                ('results_due', models.DateField(help_text="Organisations submit the period's figures by this date.", verbose_name='results due')),
                ('validation_closes', models.DateField(help_text='Action leaders, plan drivers and the hub validate or return them by this date.', verbose_name='validation closes')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical reporting period',
                'verbose_name_plural': 'historical reporting periods',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='ReportingPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2010), django.core.validators.MaxValueValidator(2100)], verbose_name='year')),
                ('half_year', models.PositiveSmallIntegerField(blank=True, choices=[(1, 'First half (January–June)'), (2, 'Second half (July–December)')], help_text='Leave empty for the whole year.', null=True, verbose_name='half-year')),
                ('results_due', models.DateField(help_text="Organisations submit the period's figures by this date.", verbose_name='results due')),
                ('validation_closes', models.DateField(help_text='Action leaders, plan drivers and the hub validate or return them by this date.', verbose_name='validation closes')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
            ],
            options={
                'verbose_name': 'reporting period',
                'verbose_name_plural': 'reporting periods',
                'ordering': ['-year', 'half_year'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('half_year__isnull', False)), fields=('year', 'half_year'), name='oap_reportingperiod_unique_half_year', violation_error_message='This half-year already has its deadlines; change them there.'), models.UniqueConstraint(condition=models.Q(('half_year__isnull', True)), fields=('year',), name='oap_reportingperiod_unique_year', violation_error_message='This year already has its deadlines; change them there.'), models.CheckConstraint(condition=models.Q(('half_year__isnull', True), ('half_year__in', [1, 2]), _connector='OR'), name='oap_reportingperiod_half_year_valid'), models.CheckConstraint(condition=models.Q(('validation_closes__gte', models.F('results_due'))), name='oap_reportingperiod_validation_after_due', violation_error_message='Validation closes on or after the date the results are due.')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
