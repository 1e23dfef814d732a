from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _prepare_sellers(self, params=False):
        sellers = super()._prepare_sellers(params)
        if not self.env.company.supplier_qualification_required:
            return sellers
        # Replenishment takes qualified vendors before the others, keeping the
        # vendor list's order among each.
        return sellers.sorted(lambda s: not s.partner_id._is_qualified_supplier())
