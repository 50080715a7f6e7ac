from django.db import migrations

from pqrisk.dbstats import skip_statistics


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_quarantine_resolution")]

    operations = [skip_statistics("intake_rawitem", ("payload",))]
