"""Cancellation (stage Cancelled): the refund rule by logistics stage, from
the Cancel wizard."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.text import join_items
from .order_cancel_refund_rule import LOGISTICS_STAGES


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # === FIELDS === #

    refund_move_ids = fields.One2many(
        "account.move",
        "procedure_refund_order_id",
        string="Procedure Refunds",
        help="Credit notes the procedure drafted for the order: for its "
        "cancellation and for its return requests.",
    )
    cancel_logistics_stage = fields.Selection(
        LOGISTICS_STAGES,
        string="Cancelled When",
        copy=False,
        readonly=True,
        help="Where the goods were when the order was cancelled; it chose the "
        "refund rule.",
    )
    can_request_cancel = fields.Boolean(
        compute="_compute_can_request_cancel", export_string_translation=False
    )

    # === COMPUTE METHODS === #

    @api.depends("state", "locked", "picking_ids.state")
    @api.depends_context("uid")
    def _compute_can_request_cancel(self):
        for order in self:
            order.can_request_cancel = (
                order.state == "sale" and not order._get_cancel_refusal()
            )

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        return {
            **super()._get_procedure_fact_fields(),
            "cancel_logistics_stage": self.env._("the Cancel Order wizard"),
        }

    # === ACTION METHODS === #

    def action_request_cancel(self):
        """Cancel following the refund rules: quotations are cancelled as
        usual, orders go through the cancellation wizard."""
        self.ensure_one()
        if self.state in ("draft", "sent"):
            return self.action_cancel()
        if self.state == "cancel":
            raise UserError(
                self.env._("%(order)s is already cancelled.", order=self.display_name)
            )
        self._check_cancel_allowed()
        return self._open_order_wizard(
            "order.cancel.wizard", self.env._("Cancel Order")
        )

    def action_cancel(self):
        # Odoo's own Cancel would skip the refund rules: confirmed orders under
        # the procedure are cancelled through its Cancel wizard.
        confirmed = self.filtered(
            lambda o: o.state == "sale" and o.company_id.order_review_required
        )
        if confirmed and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(orders)s is confirmed: cancel it with Cancel on the order, "
                    "which applies the refund rules (after shipment, procedure "
                    "managers only).",
                    orders=join_items(self.env, confirmed.mapped("display_name")),
                )
            )
        return super().action_cancel()

    # === BUSINESS METHODS === #

    def _get_cancel_refusal(self):
        """Why the user may not cancel this confirmed order with its refund,
        in words; False when they may: order staff before shipment, procedure
        managers after it."""
        self.ensure_one()
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            return self.env._("Only order staff may cancel confirmed orders.")
        if self.locked:
            return self.env._(
                "%(order)s is locked: unlock it before cancelling it.",
                order=self.display_name,
            )
        if self._get_done_deliveries() and not self.env.user.has_group(
            "order_mgmt_procedure.group_procedure_manager"
        ):
            return self.env._(
                "%(order)s has already shipped: only a procedure manager can "
                "cancel it now, with the refund rules for goods already sent.",
                order=self.display_name,
            )
        return False

    def _check_cancel_allowed(self):
        for order in self:
            refusal = order._get_cancel_refusal()
            if refusal:
                raise UserError(refusal)

    def _get_logistics_stage(self):
        """Where the goods are, from the deliveries and their events."""
        self.ensure_one()
        deliveries = self._get_done_deliveries()
        if not deliveries:
            return "not_shipped"
        events = deliveries.logistics_event_ids.sorted(lambda e: (e.date, e.id))
        if self.completed_date or (events and events[-1].event_type == "delivered"):
            return "delivered"
        if events:
            return "in_transit"
        return "shipped"

    def _get_refundable_amount(self):
        """What the customer paid or was invoiced: posted invoices less the
        posted credit notes."""
        self.ensure_one()
        invoiced = sum(self._get_posted_invoices().mapped("amount_total"))
        refunded = sum(
            self.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_refund"
            ).mapped("amount_total")
        )
        return max(invoiced - refunded, 0.0)

    def _get_refund_shares(self, amount):
        """``[(invoice, share)]``: ``amount`` refunded on the order's posted
        invoices in proportion of what each may still refund (its total less
        the posted credit notes reversing it), rounded to the currency, the
        rounding left on the latest invoice."""
        self.ensure_one()
        currency = self.currency_id
        if currency.is_zero(amount) or amount < 0:
            return []
        invoices = self._get_posted_invoices().sorted(
            lambda m: (m.invoice_date or m.date, m.id)
        )
        refundable = {}
        for invoice in invoices:
            refunded = sum(
                invoice.reversal_move_ids.filtered(
                    lambda m: m.state == "posted" and m.move_type == "out_refund"
                ).mapped("amount_total")
            )
            left = invoice.amount_total - refunded
            if currency.compare_amounts(left, 0) > 0:
                refundable[invoice] = left
        total = sum(refundable.values())
        if not refundable:
            return []
        shares, left = [], amount
        invoices = list(refundable)
        for invoice in invoices[:-1]:
            share = min(currency.round(amount * refundable[invoice] / total), left)
            shares.append((invoice, share))
            left -= share
        shares.append((invoices[-1], currency.round(left)))
        return [(inv, share) for inv, share in shares if not currency.is_zero(share)]

    def _get_paid_amount(self):
        """What the customer paid: on the posted invoices, less what was paid
        back on the credit notes; before any invoice, the online payments."""
        self.ensure_one()
        invoices = self._get_posted_invoices()
        refunds = self.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_refund"
        )
        if not invoices:
            return self.amount_paid
        paid = sum(invoices.mapped("amount_total")) - sum(
            invoices.mapped("amount_residual")
        )
        paid_back = sum(refunds.mapped("amount_total")) - sum(
            refunds.mapped("amount_residual")
        )
        return max(paid - paid_back, 0.0)
