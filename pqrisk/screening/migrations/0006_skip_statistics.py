from django.db import migrations

from pqrisk.dbstats import skip_statistics


class Migration(migrations.Migration):
    dependencies = [("screening", "0005_lean_indexes")]

    operations = [skip_statistics("screening_riskinfo", ("title", "text", "screened_text", "evidence", "signals", "tags"))]
