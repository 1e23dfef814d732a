"""Unit tests of the batch import's Odoo-free modules.

They run without Odoo (``python3 -m pytest tests_unit``; pytest.ini leaves
pytest-odoo's plugin out), so the modules are loaded from their files under a
stand-in package: importing ``order_mgmt_procedure`` would run the addon's
``__init__``, which imports Odoo.
"""

import importlib
import sys
import types
from pathlib import Path

import pytest

WIZARD_DIR = Path(__file__).resolve().parent.parent / "order_mgmt_procedure" / "wizard"
# Stands for order_mgmt_procedure.wizard, so that the modules' relative
# imports of each other work.
PACKAGE = "omp_batch_import_unit"


def load_wizard_module(name):
    """The module ``wizard/<name>.py``, without the addon package."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(WIZARD_DIR)]
        sys.modules[PACKAGE] = package
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.fixture(scope="session")
def cells():
    return load_wizard_module("batch_import_cells")


@pytest.fixture(scope="session")
def reader():
    pytest.importorskip("openpyxl")
    return load_wizard_module("batch_import_reader")
