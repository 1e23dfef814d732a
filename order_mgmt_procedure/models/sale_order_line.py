from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _prepare_procurement_values(self):
        values = super()._prepare_procurement_values()
        # What an urgent order triggers (RFQs of made-to-order lines) is urgent.
        values["priority"] = self.order_id.priority or "0"
        return values

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["sale.order"].browse(
            {vals["order_id"] for vals in vals_list if vals.get("order_id")}
        )
        with orders._syncing_delivery_priority():
            return super().create(vals_list)

    def write(self, vals):
        with self.order_id._syncing_delivery_priority():
            return super().write(vals)

    def unlink(self):
        with self.order_id._syncing_delivery_priority():
            return super().unlink()
