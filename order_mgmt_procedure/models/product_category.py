from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    package_type_id = fields.Many2one(
        "stock.package.type",
        string="Default Packaging",
        help="Packaging that suits the products of this category, proposed "
        "when they are packed for shipping.",
    )
