from . import test_ownership, test_ui, test_xmlrpc_access
