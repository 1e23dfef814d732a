from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    after_sales_days = fields.Integer(
        string="After-Sales Window (Days)",
        help="Days of after-sales support for this category's products after the "
        "order is completed; 0 uses the company's window. An order's window is "
        "the longest of its products'.",
    )
    package_type_id = fields.Many2one(
        "stock.package.type",
        string="Default Packaging",
        help="Packaging that suits the products of this category, proposed "
        "when they are packed for shipping.",
    )
