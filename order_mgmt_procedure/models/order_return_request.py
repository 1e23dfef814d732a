from odoo import api, fields, models
from odoo.exceptions import UserError


class OrderReturnRequest(models.Model):
    _name = "order.return.request"
    _description = "Return or Exchange Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    order_id = fields.Many2one(
        "sale.order", string="Sales Order", required=True, index=True, tracking=True
    )
    partner_id = fields.Many2one(
        related="order_id.partner_id", store=True, string="Customer"
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        domain="[('sale_id', '=', order_id), ('picking_type_code', '=', 'outgoing')]",
        help="The delivery the goods came with.",
    )
    request_type = fields.Selection(
        [("return", "Return"), ("exchange", "Exchange")],
        string="Type",
        required=True,
        default="return",
        tracking=True,
    )
    reason = fields.Text(required=True, tracking=True)
    condition_intact = fields.Boolean(
        string="Product Intact", help="The product is undamaged by the customer."
    )
    condition_accessories = fields.Boolean(
        string="Accessories Complete", help="Every accessory and manual is included."
    )
    line_ids = fields.One2many(
        "order.return.request.line", "request_id", string="Products", copy=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("received", "Received"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    evidence_count = fields.Integer(
        compute="_compute_evidence_count",
        help="Photos and videos attached to the request.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("order.return.request") or "/"
                )
        return super().create(vals_list)

    def _compute_evidence_count(self):
        counts = dict(
            self.env["ir.attachment"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for request in self:
            request.evidence_count = counts.get(request.id, 0)

    def action_submit(self):
        """The request goes to the procedure managers."""
        for request in self:
            if request.state != "draft":
                raise UserError(
                    self.env._(
                        "%(request)s was already submitted.", request=request.name
                    )
                )
            if not request.line_ids:
                raise UserError(
                    self.env._(
                        "%(request)s: list the products to return or exchange.",
                        request=request.name,
                    )
                )
        self.line_ids._check_quantities()
        self.state = "submitted"
        return True
