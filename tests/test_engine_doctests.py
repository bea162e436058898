import doctest
import importlib
import io
import pkgutil

from odoo.tests import TransactionCase, tagged

from .. import engine


@tagged("post_install", "-at_install")
class TestEngineDoctests(TransactionCase):
    """The engine's doctests, run by Odoo's test runner too (``scripts/run_engine_tests.py``
    runs them without Odoo). An exception is matched on its name, whatever package the
    engine is imported as."""

    def test_engine_doctests(self):
        finder = doctest.DocTestFinder(exclude_empty=True)
        runner = doctest.DocTestRunner(optionflags=doctest.IGNORE_EXCEPTION_DETAIL)
        examples = 0
        for module_info in pkgutil.iter_modules(engine.__path__, f"{engine.__name__}."):
            module = importlib.import_module(module_info.name)
            for test in finder.find(module):
                with self.subTest(doctest=test.name):
                    output = io.StringIO()
                    result = runner.run(test, out=output.write)
                    self.assertEqual(result.failed, 0, output.getvalue())
                    examples += result.attempted
        self.assertGreaterEqual(examples, 20, "the engine's doctests were not found")
