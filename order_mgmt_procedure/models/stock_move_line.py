from odoo import models


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def action_put_in_pack(
        self, *, package_id=False, package_type_id=False, package_name=False
    ):
        # Packaging chosen by product type: the categories' default, unless
        # the operation asks the packer to choose (the wizard proposes it).
        if not package_id and not package_type_id and not self._should_set_package():
            package_type_id = self._get_default_package_type().id
        return super().action_put_in_pack(
            package_id=package_id,
            package_type_id=package_type_id,
            package_name=package_name,
        )

    def _get_default_package_type(self):
        """The default packaging of the products' categories, the one most of
        the lines ask for."""
        counts = {}
        for line in self:
            package_type = line.product_id.categ_id.package_type_id
            if package_type:
                counts[package_type] = counts.get(package_type, 0) + 1
        if not counts:
            return self.env["stock.package.type"]
        return max(
            counts, key=lambda package_type: (counts[package_type], -package_type.id)
        )
