"""Buildings out of service become holds: one row per holder (staff, or a maintenance workflow).

The table was one row per building (its primary key); a building may now have several
holds. The rows are copied into a new table as staff's holds, the old table is dropped and
the new one takes its name, so the model (and its permissions) keep theirs.
"""

import django.core.validators
import django.utils.timezone
from django.db import migrations, models


def copy_as_staff_holds(apps, schema_editor):
    old = apps.get_model("alarms", "OutOfService")
    hold = apps.get_model("alarms", "ServiceHold")
    hold.objects.bulk_create(
        hold(building_id=row.building_id, holder="staff", since=row.since, by=row.by, reason=row.reason)
        for row in old.objects.all()
    )


def copy_back_staff_holds(apps, schema_editor):
    old = apps.get_model("alarms", "OutOfService")
    hold = apps.get_model("alarms", "ServiceHold")
    old.objects.bulk_create(
        old(building_id=row.building_id, since=row.since, by=row.by, reason=row.reason)
        for row in hold.objects.filter(holder="staff")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("alarms", "0003_operator_actions"),
    ]

    operations = [
        migrations.CreateModel(
            name="ServiceHold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("building_id", models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(2147483647)])),
                ("holder", models.CharField(default="staff", help_text='"staff", or "workflow <id>" for a maintenance workflow while it is active.', max_length=40)),
                ("since", models.DateTimeField(default=django.utils.timezone.now)),
                ("by", models.CharField(help_text='Who took it out of service, or "system".', max_length=150)),
                ("reason", models.CharField(max_length=500)),
            ],
            options={
                "verbose_name": "building out of service",
                "verbose_name_plural": "buildings out of service",
                "ordering": ["building_id", "id"],
                "constraints": [models.UniqueConstraint(fields=("building_id", "holder"), name="outofservice_one_hold_per_holder")],
            },
        ),
        migrations.RunPython(copy_as_staff_holds, copy_back_staff_holds),
        migrations.DeleteModel(name="OutOfService"),
        migrations.RenameModel(old_name="ServiceHold", new_name="OutOfService"),
    ]
