from odoo import api, fields, models
from odoo.exceptions import ValidationError

PRIORITIES = [("0", "Normal"), ("1", "Urgent")]


class OrderPriorityRule(models.Model):
    _name = "order.priority.rule"
    _inherit = ["order.procedure.rule.mixin"]
    _description = "Order Priority Rule"

    # === FIELDS === #

    currency_id = fields.Many2one(help="Currency of Minimum Amount: the company's.")
    min_amount = fields.Monetary(
        string="Minimum Amount",
        currency_field="currency_id",
        help="Order total (taxes included, in the company's currency) from which "
        "the rule applies; 0 for any amount.",
    )
    partner_category_ids = fields.Many2many(
        "res.partner.category",
        string="Customer Grades",
        help="The rule applies to customers with one of these tags; "
        "empty for any customer.",
    )
    rush_only = fields.Boolean(
        string="Rush Orders Only", help="The rule applies to orders flagged as rush."
    )
    priority = fields.Selection(PRIORITIES, required=True, default="1")

    # === CONSTRAINT METHODS === #

    @api.constrains("name", "min_amount", "partner_category_ids", "rush_only")
    def _check_has_criterion(self):
        for rule in self:
            if rule.min_amount < 0:
                raise ValidationError(
                    self.env._(
                        "The minimum amount of priority rule %(rule)s cannot be "
                        "negative.",
                        rule=rule.name,
                    )
                )
            if not (rule.min_amount or rule.partner_category_ids or rule.rush_only):
                raise ValidationError(
                    self.env._(
                        "Priority rule %(rule)s needs at least one criterion: a "
                        "minimum amount, customer grades or rush orders only.",
                        rule=rule.name,
                    )
                )

    def _matches(self, order, amount, grades):
        """``amount``: order total in the company currency; ``grades``: the
        customer's tags."""
        self.ensure_one()
        if self.company_id and self.company_id != order.company_id:
            return False
        if self.min_amount and amount < self.min_amount:
            return False
        if self.partner_category_ids and not (self.partner_category_ids & grades):
            return False
        return not (self.rush_only and not order.is_rush)

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self._recompute_open_orders()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self._recompute_open_orders()
        return result

    def unlink(self):
        result = super().unlink()
        self._recompute_open_orders()
        return result

    @api.model
    def _recompute_open_orders(self):
        """Orders not yet shipped follow the new rules."""
        # sudo: a rule change must reach every company's open orders, whoever
        # the manager is and whichever orders they may read.
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    (
                        "procedure_stage",
                        "not in",
                        ("shipped", "completed", "cancelled"),
                    ),
                    ("priority_manual", "=", False),
                ]
            )
        )
        orders.invalidate_recordset(["priority_reason"])
        with orders._syncing_delivery_priority():
            self.env.add_to_compute(orders._fields["priority"], orders)
