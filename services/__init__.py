"""Plain classes that act with an environment and a cursor: the work behind the models.

- ``company_scope``: which rows are the company's (a backup's scope), in SQL;
- ``backup_export``, ``snapshot_reader``: rows to the backup file, on one or two connections;
- ``backup_import``, ``foreign_keys``: check a file and write it back;
- ``company_purge``: delete the company's business data before a restore replaces it;
- ``company_deletion``: find and delete every row of a company.
"""
