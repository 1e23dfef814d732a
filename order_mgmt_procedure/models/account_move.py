from odoo import api, fields, models

from .order_cancel_refund_rule import LOGISTICS_STAGES

# The origin of a procedure credit note, as the accountants read it.
REFUND_ORIGINS = [("cancellation", "Cancellation"), ("return", "Return")]


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "order.procedure.facts.mixin"]

    # === FIELDS === #

    # What a procedure credit note refunds, set when the procedure drafts it
    # and never by a user: accountants read it on Procedure Refunds and on the
    # credit note, and filter and group by it.
    procedure_refund_order_id = fields.Many2one(
        "sale.order",
        string="Refunded Order",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The order this credit note refunds, for its cancellation or a "
        "return request.",
    )
    procedure_refund_origin = fields.Selection(
        REFUND_ORIGINS,
        string="Refund Origin",
        copy=False,
        readonly=True,
        help="What the credit note refunds: the order's cancellation or an "
        "approved return request.",
    )
    procedure_return_request_id = fields.Many2one(
        "order.return.request",
        string="Return Request",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The approved return request whose goods came back.",
    )
    procedure_refund_reason = fields.Text(
        string="Refund Reason",
        copy=False,
        readonly=True,
        help="Why the customer cancelled, or why they returned the goods.",
    )
    procedure_refund_rule_id = fields.Many2one(
        "order.cancel.refund.rule",
        string="Refund Rule",
        copy=False,
        readonly=True,
        help="The cancellation refund rule of the logistics stage.",
    )
    procedure_logistics_stage = fields.Selection(
        LOGISTICS_STAGES,
        string="Logistics Stage",
        copy=False,
        readonly=True,
        help="Where the goods were when the order was cancelled or the return "
        "was requested.",
    )
    procedure_refund_percent = fields.Float(
        string="Refund (%)",
        copy=False,
        readonly=True,
        help="The refund rule's share of what was invoiced; 100% for a return "
        "of goods at their invoiced price.",
    )
    procedure_return_shipping = fields.Monetary(
        string="Return Shipping Deducted",
        copy=False,
        readonly=True,
        currency_field="currency_id",
        help="The return shipping paid by the customer and deducted from this "
        "credit note.",
    )
    procedure_invoice_share = fields.Float(
        string="Share of the Refund (%)",
        copy=False,
        readonly=True,
        help="When the order was invoiced several times, each invoice is "
        "refunded by its own credit note in proportion: this credit note's "
        "share of the whole refund.",
    )

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        steps = self.env._("the procedure's cancellations and returns")
        return {
            **super()._get_procedure_fact_fields(),
            **dict.fromkeys(self._get_procedure_refund_fields(), steps),
        }

    @api.model
    def _get_procedure_refund_fields(self):
        """The fields saying what a procedure credit note refunds."""
        return (
            "procedure_refund_order_id",
            "procedure_refund_origin",
            "procedure_return_request_id",
            "procedure_refund_reason",
            "procedure_refund_rule_id",
            "procedure_logistics_stage",
            "procedure_refund_percent",
            "procedure_return_shipping",
            "procedure_invoice_share",
        )

    # === BUSINESS METHODS === #

    def _prepare_procedure_reversal_vals(self, default=None):
        """The header of a credit note reversing this posted invoice, made as
        Odoo's reversal makes it (``_reverse_moves`` and the Reverse wizard's
        defaults: the same journal, fiscal position, currency, salesperson,
        campaign, ``reversed_entry_id``), without its lines."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        default = {
            "move_type": "out_refund",
            "reversed_entry_id": self.id,
            "partner_id": self.partner_id.id,
            "partner_bank_id": False,
            "date": today,
            "invoice_date": today,
            "invoice_date_due": today,
            "invoice_payment_term_id": False,
            "invoice_user_id": self.invoice_user_id.id,
            "invoice_origin": self.invoice_origin,
            "auto_post": "no",
            "campaign_id": self.campaign_id.id,
            "medium_id": self.medium_id.id,
            "source_id": self.source_id.id,
            "line_ids": [],
            **(default or {}),
        }
        vals = self.with_context(include_business_fields=True).copy_data(default)[0]
        vals.pop("invoice_line_ids", None)
        return vals

    @api.model
    def _upgrade_procedure_refund_links(self):
        """19.0.1.2.0: the procedure's credit notes drafted before it say what
        they refund, and a return's is linked to its invoice when only one
        posted invoice invoiced its order lines (as OCA rma_sale does). A
        cancellation's reason was only in its reference and the chatter: it
        stays there."""
        refunds = self.search(
            [
                ("procedure_refund_order_id", "!=", False),
                ("procedure_refund_origin", "=", False),
                ("move_type", "=", "out_refund"),
            ]
        )
        if not refunds:
            return
        requests = self.env["order.return.request"].search(
            [("refund_move_id", "in", refunds.ids)]
        )
        request_of = {request.refund_move_id: request for request in requests}
        for refund in refunds:
            order = refund.procedure_refund_order_id
            request = request_of.get(refund)
            if request:
                vals = {
                    "procedure_refund_origin": "return",
                    "procedure_return_request_id": request.id,
                    "procedure_refund_reason": request.reason,
                    "procedure_logistics_stage": order._get_logistics_stage(),
                    "procedure_refund_percent": 100.0,
                    "procedure_invoice_share": 100.0,
                }
                invoices = refund.invoice_line_ids.sale_line_ids.invoice_lines.move_id
                invoices = invoices.filtered(
                    lambda m: m.move_type == "out_invoice" and m.state == "posted"
                )
                if not refund.reversed_entry_id and len(invoices) == 1:
                    vals["reversed_entry_id"] = invoices.id
            elif refund.procedure_refund_rule_id:
                rule = refund.procedure_refund_rule_id
                vals = {
                    "procedure_refund_origin": "cancellation",
                    "procedure_logistics_stage": order.cancel_logistics_stage,
                    "procedure_refund_percent": rule.refund_percent,
                    "procedure_return_shipping": rule.return_shipping_cost
                    if rule.return_shipping_by == "customer"
                    else 0.0,
                    "procedure_invoice_share": 100.0,
                }
            else:
                continue
            refund._write_procedure_facts(vals)

    def _set_procedure_invoice_shares(self):
        """Each of these credit notes of one refund (one per invoice
        reversed) records its share of the whole refund."""
        total = sum(self.mapped("amount_total"))
        for refund in self:
            share = refund.amount_total / total * 100 if total else 100.0
            refund._write_procedure_facts({"procedure_invoice_share": share})


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # === BUSINESS METHODS === #

    def _prepare_procedure_reversal_line_vals(self, quantity=None):
        """A credit note line reversing this invoice line, as Odoo's reversal
        copies it (account, taxes, analytic distribution, price, discount,
        the sale order lines), for ``quantity`` (default: the line's)."""
        self.ensure_one()
        vals = self.with_context(include_business_fields=True).copy_data()[0]
        vals.pop("move_id", None)
        if quantity is not None:
            vals["quantity"] = quantity
        return vals
