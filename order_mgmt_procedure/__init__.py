from . import controllers
from . import models
from . import report
from . import wizard


def uninstall_hook(env):
    """The stock re-check's position (models/sale_order_processing.py) is a
    system parameter without an XML id: nothing else removes it."""
    env["ir.config_parameter"].sudo().search(
        [("key", "=like", "order_mgmt_procedure.%")]
    ).unlink()
