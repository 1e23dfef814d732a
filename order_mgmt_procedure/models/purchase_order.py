from odoo import models
from odoo.exceptions import UserError

from ..tools.data_loading import loading_module_data
from ..tools.text import join_items


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

    def button_confirm(self):
        if loading_module_data(self.env):
            # Modules' data files confirm their demo purchases at install.
            return super().button_confirm()
        unqualified = self.filtered(
            lambda po: (
                po.state in ("draft", "sent")
                and po.company_id.supplier_qualification_required
                and not po.partner_id._is_qualified_supplier()
            )
        )
        if unqualified:
            raise UserError(
                self.env._(
                    "Only qualified suppliers may be used: %(vendors)s has no valid "
                    "qualification (purchase tab of the vendor).",
                    vendors=join_items(
                        self.env,
                        unqualified.partner_id.commercial_partner_id.mapped(
                            "display_name"
                        ),
                    ),
                )
            )
        return super().button_confirm()
