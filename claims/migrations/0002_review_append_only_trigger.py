"""On PostgreSQL, refuse UPDATE and DELETE of review rows in the database itself.

A row-level trigger, so raw SQL cannot rewrite the trail either. TRUNCATE (a whole-table
operation, used by the test suite's flush) does not fire row triggers. SQLite has no such
guard here: the model and its manager refuse, and `manage.py verify_reviews` detects tampering.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION claims_review_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'claims_claimreview is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS claims_claimreview_append_only ON claims_claimreview;
CREATE TRIGGER claims_claimreview_append_only
    BEFORE UPDATE OR DELETE ON claims_claimreview
    FOR EACH ROW EXECUTE FUNCTION claims_review_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS claims_claimreview_append_only ON claims_claimreview;
DROP FUNCTION IF EXISTS claims_review_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
