"""19.0.1.2.0: the procedure's credit notes say what they refund; a return's
is linked to the invoice it reverses."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["account.move"]._upgrade_procedure_refund_links()
