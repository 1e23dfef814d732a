from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    procedure_refund_order_id = fields.Many2one(
        "sale.order",
        string="Cancelled Order",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The order whose cancellation this credit note refunds.",
    )
    procedure_refund_rule_id = fields.Many2one(
        "order.cancel.refund.rule", string="Refund Rule", copy=False, readonly=True
    )
