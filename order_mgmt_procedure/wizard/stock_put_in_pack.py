from odoo import api, models


class StockPutInPack(models.TransientModel):
    _inherit = "stock.put.in.pack"

    @api.model
    def default_get(self, fields):
        values = super().default_get(fields)
        if "package_type_id" in fields and not values.get("package_type_id"):
            lines = self.env["stock.move.line"].browse(
                self.env.context.get("default_move_line_ids") or []
            )
            values["package_type_id"] = lines._get_default_package_type().id
        return values
