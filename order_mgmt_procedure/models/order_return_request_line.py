from odoo import fields, models
from odoo.exceptions import UserError


class OrderReturnRequestLine(models.Model):
    _name = "order.return.request.line"
    _description = "Return or Exchange Request Line"

    # === FIELDS === #

    request_id = fields.Many2one(
        "order.return.request", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True)
    product_id = fields.Many2one("product.product", required=True)
    quantity = fields.Float(required=True, default=1.0, digits="Product Unit")
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    replacement_product_id = fields.Many2one(
        "product.product",
        string="Exchange For",
        help="For an exchange to another product: a new order is made for it. "
        "Empty: the same product is sent again.",
    )

    # === BUSINESS METHODS: VALIDATION === #

    def _check_quantities(self):
        """Not more than delivered, minus what other requests already take back."""
        for line in self:
            order = line.request_id.order_id
            delivered = sum(
                order.order_line.filtered(
                    lambda sol, p=line.product_id: sol.product_id == p
                ).mapped("qty_delivered")
            )
            others = line.request_id.order_id.return_request_ids.filtered(
                lambda r, req=line.request_id: (
                    r != req and r.state not in ("draft", "rejected", "cancelled")
                )
            ).line_ids.filtered(lambda ln, p=line.product_id: ln.product_id == p)
            available = delivered - sum(others.mapped("quantity"))
            if line.quantity <= 0 or line.quantity > available + 1e-6:
                raise UserError(
                    self.env._(
                        "%(product)s: between 0 and %(available)s can be returned "
                        "(delivered minus other requests), not %(quantity)s.",
                        product=line.product_id.display_name,
                        available=f"{max(available, 0):g}",
                        quantity=f"{line.quantity:g}",
                    )
                )
