from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.order_return_request import REQUEST_TYPES


class OrderAbnormalReceiptWizard(models.TransientModel):
    _name = "order.abnormal.receipt.wizard"
    _description = "Report an Abnormal Receipt"

    # === FIELDS === #

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade")
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        compute="_compute_picking_id",
        store=True,
        readonly=False,
        domain="[('sale_id', '=', order_id), ('picking_type_code', '=', 'outgoing'), "
        "('state', '=', 'done')]",
    )
    reason = fields.Text(
        required=True, help="What is wrong: damaged, wrong item, missing parts..."
    )
    request_type = fields.Selection(
        REQUEST_TYPES,
        string="Customer Wants",
        required=True,
        default="exchange",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        string="Photos or Videos",
        help="At least one photo or video showing the problem.",
    )

    # === COMPUTE METHODS === #

    @api.depends("order_id")
    def _compute_picking_id(self):
        for wizard in self:
            wizard.picking_id = wizard.order_id._get_last_done_delivery()

    # === ACTION METHODS === #

    def action_report(self):
        """Record the problem with its evidence as a submitted return or
        exchange request."""
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Describe what is wrong with the goods."))
        evidence = self.attachment_ids.filtered(
            lambda a: (a.mimetype or "").startswith(("image/", "video/"))
        )
        if not evidence:
            raise UserError(
                self.env._("Attach at least one photo or video showing the problem.")
            )
        order = self.order_id
        order._check_delivered()
        request = self.env["order.return.request"]._create_procedure_facts(
            [self._prepare_request_vals()]
        )
        # The evidence belongs to the request from now on.
        evidence.sudo().write({"res_model": request._name, "res_id": request.id})
        request.action_submit()
        # The note in the company's language.
        order = order._with_procedure_lang()
        order.message_post(
            body=order.env._(
                "Abnormal receipt reported: %(reason)s (%(request)s)",
                reason=request.reason,
                request=request.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": request._name,
            "res_id": request.id,
            "view_mode": "form",
        }

    # === BUSINESS METHODS === #

    def _prepare_request_vals(self):
        """The submitted request that Report makes: everything the delivery
        brought, taken back or exchanged."""
        self.ensure_one()
        quantities = {}
        for move in self.picking_id.move_ids.filtered(lambda m: m.state == "done"):
            quantities[move.product_id] = (
                quantities.get(move.product_id, 0.0) + move.quantity
            )
        return {
            "order_id": self.order_id.id,
            "picking_id": self.picking_id.id,
            "request_type": self.request_type,
            "reason": self.reason.strip(),
            "from_abnormal_receipt": True,
            "line_ids": [
                fields.Command.create({"product_id": product.id, "quantity": qty})
                for product, qty in quantities.items()
            ],
        }
