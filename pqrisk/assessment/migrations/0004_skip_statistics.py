from django.db import migrations

from pqrisk.dbstats import skip_statistics


class Migration(migrations.Migration):
    dependencies = [("assessment", "0003_lean_indexes")]

    operations = [skip_statistics("assessment_assessment", ("steps", "explanation"))]
