from django.db import migrations

from pqrisk.dbstats import skip_statistics


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_lean_indexes")]

    operations = [skip_statistics("audit_auditevent", ("message", "detail"))]
