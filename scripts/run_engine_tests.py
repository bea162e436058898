"""Run the engine's tests and doctests, with no Odoo at all.

The engine lives inside the addon, whose package imports Odoo; so it is
loaded here as a top-level package named ``engine``, straight from its folder.
Prints "engine: N passed, N failed" last; exits non-zero on any failure.
"""

import doctest
import importlib.util
import pkgutil
import sys
import unittest
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent.parent / "engine"


def load_engine():
    spec = importlib.util.spec_from_file_location(
        "engine", ENGINE_DIR / "__init__.py", submodule_search_locations=[str(ENGINE_DIR)]
    )
    engine = importlib.util.module_from_spec(spec)
    sys.modules["engine"] = engine
    spec.loader.exec_module(engine)
    return engine


def build_suite(engine):
    suite = unittest.TestSuite()
    for module_info in pkgutil.walk_packages(engine.__path__, "engine."):
        module = importlib.import_module(module_info.name)
        if module_info.name.startswith("engine.tests."):
            suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(module))
        else:
            suite.addTests(doctest.DocTestSuite(module))
    return suite


if __name__ == "__main__":
    result = unittest.TextTestRunner(verbosity=1).run(build_suite(load_engine()))
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"engine: {result.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed or not result.testsRun else 0)
