import time
import uuid

from django.db import migrations, models

NAMES = ("concepts", "claims")


def create_versions(apps, schema_editor):
    StateVersion = apps.get_model("learning_platform", "StateVersion")
    now = time.time_ns() // 1000
    StateVersion.objects.bulk_create(
        StateVersion(name=name, token=uuid.uuid4().hex, changed_us=now) for name in NAMES
    )


class Migration(migrations.Migration):
    dependencies = [("learning_platform", "0002_content_unit_state")]

    operations = [
        migrations.CreateModel(
            name="StateVersion",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
                ("changed_us", models.BigIntegerField()),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.RunPython(create_versions, migrations.RunPython.noop),
    ]
