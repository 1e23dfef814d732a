from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _prepare_purchase_order(self, company_id, origins, values):
        purchase = super()._prepare_purchase_order(company_id, origins, values)
        # An RFQ raised for an urgent order is starred for purchasing.
        purchase["priority"] = max(value.get("priority") or "0" for value in values)
        return purchase
