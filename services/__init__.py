"""Plain classes that act with an environment and a cursor: the work behind the models.

- ``company_scope``: which rows are the company's (a backup's scope), in SQL; ``scope_rules``:
  how a model's records belong to a company; ``scope_closure``: the rows that come along;
- ``backup_export``, ``snapshot_reader``: rows to the backup file, on one or two connections;
- ``restore``: check a file and write it back, a pipeline of named phases;
- ``company_purge``: delete the company's business data before a restore replaces it;
- ``company_deletion``: find and delete every row of a company; ``company_users``: its users,
  moved to another of their companies or archived;
- ``closure``: what the scope, the purge and the deletion share: the rounds (``close``) and
  the one condition that keeps users' and companies' partners out (``identity_partner``);
- ``reports``: the jobs' reports as text;
- ``sql``: small SQL helpers (JIT off, ids from a sequence, a quoted ``COPY ... FROM STDIN``).
"""
