import doctest
import importlib
import io
import pkgutil

from odoo.tests import TransactionCase, tagged

from .. import engine, services


@tagged("post_install", "-at_install")
class TestDoctests(TransactionCase):
    """The doctests of the engine and of the services, run by Odoo's test runner
    (``scripts/run_engine_tests.py`` also runs the engine's without Odoo). An exception is
    matched on its name, whatever package the engine is imported as."""

    def _run_doctests(self, package):
        finder = doctest.DocTestFinder(exclude_empty=True)
        runner = doctest.DocTestRunner(optionflags=doctest.IGNORE_EXCEPTION_DETAIL)
        examples = 0
        for module_info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(module_info.name)
            for test in finder.find(module):
                with self.subTest(doctest=test.name):
                    output = io.StringIO()
                    result = runner.run(test, out=output.write)
                    self.assertEqual(result.failed, 0, output.getvalue())
                    examples += result.attempted
        return examples

    def test_engine_doctests(self):
        self.assertGreaterEqual(self._run_doctests(engine), 20, "the engine's doctests were not found")

    def test_services_doctests(self):
        self.assertGreaterEqual(self._run_doctests(services), 2, "the services' doctests were not found")
