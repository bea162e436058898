from . import (
    test_backup,
    test_backup_cli_and_snapshot,
    test_delete,
    test_doctests,
    test_owner_only_paths,
    test_ownership,
    test_restore,
    test_restore_cli,
    test_ui,
    test_xmlrpc_access,
)
