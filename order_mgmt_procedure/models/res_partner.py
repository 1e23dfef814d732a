from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

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
