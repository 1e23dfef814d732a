from . import controllers
from . import models
from . import report
from . import wizard


def uninstall_hook(env):
    """The stock re-check's position (models/sale_order_processing.py) is a
    system parameter without an XML id: nothing else removes it. Nor the
    companies' order e-mail aliases (models/sale_order_mail_intake.py), which
    would go on turning e-mails into orders without the procedure."""
    env["ir.config_parameter"].sudo().search(
        [("key", "=like", "order_mgmt_procedure.%")]
    ).unlink()
    env["res.company"].sudo().search([]).order_mail_alias_id.unlink()
