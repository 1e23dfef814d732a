from odoo import models
from odoo.exceptions import UserError


class StockReturnPicking(models.TransientModel):
    _inherit = "stock.return.picking"

    def _create_return(self):
        # A customer's goods coming back from a procedure order are a return
        # request's (approved, with its SLA and refund) or a cancellation's;
        # the procedure makes those returns itself, as superuser.
        picking = self.picking_id
        if (
            not self.env.su
            and picking.sale_id
            and picking.picking_type_code == "outgoing"
            and picking.company_id.order_review_required
        ):
            raise UserError(
                self.env._(
                    "Goods of %(order)s come back through a return request: open "
                    "the order and use Return / Exchange (or Cancel, with its "
                    "refund rules).",
                    order=picking.sale_id.display_name,
                )
            )
        return super()._create_return()
