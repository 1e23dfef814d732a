from odoo import api, fields, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "order.procedure.facts.mixin"]

    # === FIELDS === #

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

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        steps = self.env._("the procedure's cancellations and returns")
        return {
            **super()._get_procedure_fact_fields(),
            "procedure_refund_order_id": steps,
            "procedure_refund_rule_id": steps,
        }
