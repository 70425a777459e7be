from django.db.backends.postgresql import base

from learning_platform.versions import VersionedWrites


class DatabaseWrapper(VersionedWrites, base.DatabaseWrapper):
    pass
