from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _prepare_procurement_values(self):
        values = super()._prepare_procurement_values()
        # What an urgent order triggers (RFQs of made-to-order lines) is urgent.
        values["priority"] = self.order_id.priority or "0"
        if self.order_id.fulfillment_type == "custom":
            # Made to order: the supply chain (buy or manufacture) is triggered
            # for this line instead of taking from stock.
            mto_route = self.env.ref(
                "stock.route_warehouse0_mto", raise_if_not_found=False
            )
            if mto_route:
                values["route_ids"] = mto_route | values.get("route_ids", mto_route)
        return values

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["sale.order"].browse(
            {vals["order_id"] for vals in vals_list if vals.get("order_id")}
        )
        with orders._syncing_delivery_priority():
            lines = super().create(vals_list)
        orders._refresh_review_lines()
        return lines

    def write(self, vals):
        with self.order_id._syncing_delivery_priority():
            result = super().write(vals)
        self.order_id._refresh_review_lines()
        return result

    def unlink(self):
        orders = self.order_id
        with orders._syncing_delivery_priority():
            result = super().unlink()
        orders._refresh_review_lines()
        return result
