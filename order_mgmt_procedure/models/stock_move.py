from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _get_new_picking_values(self):
        values = super()._get_new_picking_values()
        # Moves take their priority from their transfer: a transfer made for
        # an urgent order is urgent, so it is starred and reserved first.
        priorities = self.sale_line_id.order_id.mapped("priority")
        values["priority"] = max([values.get("priority") or "0", *priorities])
        return values
