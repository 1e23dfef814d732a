"""Returns and exchanges (after Shipped and Completed): requests from the
order, and the report of an abnormal receipt with its evidence."""

from odoo import api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # === FIELDS === #

    return_request_ids = fields.One2many(
        "order.return.request",
        "order_id",
        string="Returns and Exchanges",
        groups="order_mgmt_procedure.group_order_receiver,stock.group_stock_user",
    )
    return_request_count = fields.Integer(
        compute="_compute_return_request_count",
        groups="order_mgmt_procedure.group_order_receiver,stock.group_stock_user",
    )
    can_request_return = fields.Boolean(
        compute="_compute_can_request_return", export_string_translation=False
    )

    # === COMPUTE METHODS === #

    @api.depends("return_request_ids")
    def _compute_return_request_count(self):
        for order in self:
            order.return_request_count = len(order.return_request_ids)

    @api.depends("procedure_stage")
    @api.depends_context("uid")
    def _compute_can_request_return(self):
        is_staff = self.env.user.has_group("order_mgmt_procedure.group_order_receiver")
        for order in self:
            order.can_request_return = is_staff and order._is_delivered()

    # === ACTION METHODS === #

    def action_report_abnormal_receipt(self):
        """Damaged or wrong goods: opens the report with evidence."""
        self.ensure_one()
        self._check_delivered()
        return self._open_order_wizard(
            "order.abnormal.receipt.wizard", self.env._("Report an Abnormal Receipt")
        )

    def action_new_return_request(self):
        """Staff open a return or exchange request for the order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return or Exchange"),
            "res_model": "order.return.request",
            "view_mode": "form",
            "context": {
                "default_order_id": self.id,
                "default_line_ids": [
                    fields.Command.create(
                        {
                            "product_id": line.product_id.id,
                            "quantity": line.qty_delivered,
                        }
                    )
                    for line in self.order_line.filtered(
                        lambda ln: ln.qty_delivered > 0
                    )
                ],
            },
        }

    def action_view_return_requests(self):
        self.ensure_one()
        return self.env["order.return.request"]._get_list_action(
            [("order_id", "=", self.id)], {"default_order_id": self.id}
        )

    # === BUSINESS METHODS === #

    def _check_delivered(self):
        """Refuse orders whose goods have not reached the customer yet."""
        for order in self:
            if not order._is_delivered():
                raise UserError(
                    self.env._(
                        "%(order)s has not been delivered: nothing to report yet.",
                        order=order.display_name,
                    )
                )
