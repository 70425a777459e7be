from django.db.backends.sqlite3 import base

from learning_platform.versions import VersionedWrites


class DatabaseWrapper(VersionedWrites, base.DatabaseWrapper):
    pass
