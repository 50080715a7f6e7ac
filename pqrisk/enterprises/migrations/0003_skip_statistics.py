from django.db import migrations

from pqrisk.dbstats import skip_statistics


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0002_record_matching")]

    operations = [skip_statistics("enterprises_recordmatch", ("evidence",))]
