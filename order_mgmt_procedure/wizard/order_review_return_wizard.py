from odoo import fields, models
from odoo.exceptions import UserError


class OrderReviewReturnWizard(models.TransientModel):
    _name = "order.review.return.wizard"
    _description = "Return an Order for Revision"

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade")
    reason = fields.Text(
        required=True,
        help="Told to the customer and the receiver: what must be changed.",
    )

    def action_return(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(
                self.env._("Say why the order is returned: the customer is told.")
            )
        # The same checks as the button that opened the wizard.
        self.order_id.action_review_return()
        self.order_id._return_for_revision(self.reason.strip())
        return {"type": "ir.actions.act_window_close"}
