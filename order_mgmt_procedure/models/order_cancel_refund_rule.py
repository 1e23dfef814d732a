from odoo import api, fields, models
from odoo.exceptions import ValidationError

LOGISTICS_STAGES = [
    ("not_shipped", "Not Shipped"),
    ("shipped", "Shipped"),
    ("in_transit", "In Transit"),
    ("delivered", "Delivered"),
]


class OrderCancelRefundRule(models.Model):
    _name = "order.cancel.refund.rule"
    _inherit = ["order.procedure.rule.mixin"]
    _description = "Cancellation Refund Rule"

    # === FIELDS === #

    company_id = fields.Many2one(
        help="Leave empty for the rule every company uses by default."
    )
    currency_id = fields.Many2one(
        help="Currency of the return shipping cost: the company's."
    )
    logistics_stage = fields.Selection(LOGISTICS_STAGES, required=True)
    refund_percent = fields.Float(
        string="Refund (%)",
        required=True,
        default=100.0,
        help="Share of what the customer paid or was invoiced that is refunded.",
    )
    return_shipping_by = fields.Selection(
        [("customer", "Customer"), ("company", "Company")],
        string="Return Shipping Paid By",
        required=True,
        default="company",
    )
    return_shipping_cost = fields.Monetary(
        currency_field="currency_id",
        help="Deducted from the refund when the customer pays the return shipping.",
    )

    # === CONSTRAINT METHODS === #

    @api.constrains(
        "refund_percent",
        "return_shipping_cost",
        "logistics_stage",
        "company_id",
        "active",
    )
    def _check_rule(self):
        for rule in self:
            if not 0 <= rule.refund_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "The refund of %(rule)s must be between 0 and 100%%.",
                        rule=rule.name,
                    )
                )
            if rule.return_shipping_cost < 0:
                raise ValidationError(
                    self.env._(
                        "The return shipping cost of %(rule)s cannot be negative.",
                        rule=rule.name,
                    )
                )
            if rule.active and self.search_count(
                [
                    ("id", "!=", rule.id),
                    ("logistics_stage", "=", rule.logistics_stage),
                    ("company_id", "=", rule.company_id.id),
                ]
            ):
                raise ValidationError(
                    self.env._(
                        "There is already a refund rule for this logistics stage and "
                        "company (%(rule)s).",
                        rule=rule.name,
                    )
                )

    @api.model
    def _get_rule(self, company, logistics_stage):
        """The company's own rule for the stage, else the shared one."""
        return self._search_company_rules(
            company, [("logistics_stage", "=", logistics_stage)]
        )._pick_company_rule(company)

    def _compute_refund(self, base):
        """(refund amount, deducted return shipping) for ``base`` paid or
        invoiced: never below 0 nor above the base."""
        self.ensure_one()
        shipping = (
            self.return_shipping_cost if self.return_shipping_by == "customer" else 0.0
        )
        amount = base * self.refund_percent / 100 - shipping
        return min(max(amount, 0.0), base), shipping
