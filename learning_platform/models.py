from django.db import models


class ContentUnitState(models.Model):
    """What a content unit (a concept folder, a source, a concept's claims file) was when it was
    last loaded: the hash of its files and of the database's export of it then.

    The next load compares both with now: files changed and database unchanged → load; database
    changed and files unchanged → keep the database; both changed → a conflict, nothing written.
    """

    unit = models.CharField(max_length=400, unique=True)
    file_hash = models.CharField(max_length=64)
    db_hash = models.CharField(max_length=64)
    revision_hash = models.CharField(
        max_length=64, blank=True, help_text="The concept revision it was loaded as."
    )
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit"]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.file_hash[:12]}"


class StateVersion(models.Model):
    """The version of one kind of stored state (learning_platform.versions): replaced in the
    transaction of every write to it, read by each cached answer that depends on it."""

    name = models.CharField(max_length=40, primary_key=True)
    token = models.CharField(max_length=32)
    # Microseconds since the epoch: read with one raw query on every cached answer.
    changed_us = models.BigIntegerField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.token[:8]}"
