from . import (
    test_backup,
    test_backup_cli_and_snapshot,
    test_ownership,
    test_ui,
    test_xmlrpc_access,
)
