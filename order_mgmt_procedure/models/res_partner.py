from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    supplier_qualified = fields.Boolean(
        string="Qualified Supplier",
        tracking=True,
        help="The vendor meets the company's supplier standards (qualification, "
        "quality). Purchases need a qualified vendor when the company says so.",
    )
    supplier_qualification_expiry = fields.Date(
        string="Qualification Valid Until",
        tracking=True,
        help="Last day the qualification is valid; empty for no expiry.",
    )

    def _is_qualified_supplier(self, date=None):
        """Whether the vendor (its company) holds a valid qualification."""
        self.ensure_one()
        vendor = self.commercial_partner_id
        date = date or fields.Date.context_today(self)
        return vendor.supplier_qualified and (
            not vendor.supplier_qualification_expiry
            or vendor.supplier_qualification_expiry >= date
        )

    def write(self, vals):
        if "category_id" not in vals:
            return super().write(vals)
        # A new customer grade can change the priority of open orders, and
        # their deliveries follow. sudo: every open order of the customer,
        # whoever edits the tags.
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", self.commercial_partner_id.ids),
                    (
                        "procedure_stage",
                        "not in",
                        ("shipped", "completed", "cancelled"),
                    ),
                ]
            )
        )
        with orders._syncing_delivery_priority():
            return super().write(vals)
