from odoo import models


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    def _prepare_procurement_values(self, date=False):
        values = super()._prepare_procurement_values(date=date)
        if self.env.context.get("order_procedure_replenishment"):
            # The RFQ's origin names the orders, but its receipt is not tied to
            # them: arriving goods go to urgent orders first, not to whichever
            # order asked first.
            values.pop("reference_ids", None)
            if self.id in self.env.context.get("urgent_orderpoint_ids", ()):
                values["priority"] = "1"
        return values
