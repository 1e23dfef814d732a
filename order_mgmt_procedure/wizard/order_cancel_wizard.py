from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.order_cancel_refund_rule import LOGISTICS_STAGES


class OrderCancelWizard(models.TransientModel):
    _name = "order.cancel.wizard"
    _description = "Cancel an Order with its Refund"

    # === FIELDS === #

    order_id = fields.Many2one("sale.order", required=True, ondelete="cascade")
    reason = fields.Text(required=True, help="Why the customer cancels.")
    logistics_stage = fields.Selection(
        LOGISTICS_STAGES, compute="_compute_refund", help="Where the goods are."
    )
    rule_id = fields.Many2one(
        "order.cancel.refund.rule", string="Refund Rule", compute="_compute_refund"
    )
    currency_id = fields.Many2one(related="order_id.currency_id")
    paid_amount = fields.Monetary(
        string="Paid or Invoiced",
        compute="_compute_refund",
        currency_field="currency_id",
    )
    return_shipping_cost = fields.Monetary(
        string="Return Shipping Deducted",
        compute="_compute_refund",
        currency_field="currency_id",
    )
    refund_amount = fields.Monetary(
        compute="_compute_refund", currency_field="currency_id"
    )
    refund_summary = fields.Char(compute="_compute_refund")

    # === COMPUTE METHODS === #

    @api.depends("order_id")
    def _compute_refund(self):
        Rule = self.env["order.cancel.refund.rule"]
        for wizard in self:
            order = wizard.order_id
            stage = order._get_logistics_stage() if order else False
            rule = Rule._get_rule(order.company_id, stage) if order else Rule
            base = order._get_refundable_amount() if order else 0.0
            amount, shipping = rule._compute_refund(base) if rule else (0.0, 0.0)
            wizard.logistics_stage = stage
            wizard.rule_id = rule
            wizard.paid_amount = base
            wizard.return_shipping_cost = shipping
            wizard.refund_amount = amount
            wizard.refund_summary = (
                self.env._(
                    "Refund %(percent)s%% = %(amount)s, return shipping %(shipping)s "
                    "by %(payer)s",
                    percent=f"{rule.refund_percent:g}",
                    amount=f"{amount:.2f}",
                    shipping=f"{shipping:.2f}",
                    payer=dict(
                        rule._fields["return_shipping_by"]._description_selection(
                            self.env
                        )
                    )[rule.return_shipping_by],
                )
                if rule
                else False
            )

    # === ACTION METHODS === #

    def action_confirm_cancel(self):
        self.ensure_one()
        order = self.order_id
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason of the cancellation."))
        order._lock_procedure_step()
        if order.state == "cancel" or (
            order.refund_move_ids.filtered(lambda m: m.state != "cancel")
        ):
            # A second confirmation (double click, retry) changes nothing.
            return {"type": "ir.actions.act_window_close"}
        self._check_cancellable()
        # The note in the company's language, the refund summary worded in it.
        order_in_lang = order._with_procedure_lang()
        self.invalidate_recordset(["refund_summary"])
        summary = self.with_env(order_in_lang.env).refund_summary
        refund = self._cancel_order()
        order_in_lang.message_post(
            body=order_in_lang.env._(
                "Cancelled: %(reason)s. %(summary)s",
                reason=self.reason.strip(),
                summary=summary or "",
            ),
            subtype_xmlid="mail.mt_note",
        )
        if refund:
            return {
                "type": "ir.actions.act_window",
                "res_model": "account.move",
                "res_id": refund.id,
                "view_mode": "form",
            }
        return {"type": "ir.actions.act_window_close"}

    # === BUSINESS METHODS === #

    def _check_cancellable(self):
        """After shipment only procedure managers cancel, and a refund rule
        must cover the goods' logistics stage."""
        if self.logistics_stage != "not_shipped" and not self.env.user.has_group(
            "order_mgmt_procedure.group_procedure_manager"
        ):
            raise AccessError(
                self.env._(
                    "%(order)s has shipped: only procedure managers may cancel it.",
                    order=self.order_id.display_name,
                )
            )
        if not self.rule_id:
            raise UserError(
                self.env._(
                    "No refund rule for the logistics stage %(stage)s: a procedure "
                    "manager must define one.",
                    stage=dict(LOGISTICS_STAGES)[self.logistics_stage],
                )
            )

    def _cancel_order(self):
        """Shipped goods come back, the order is cancelled with Odoo's own
        cancel, and the refund drafted; returns the credit note, if any."""
        order = self.order_id
        rule, amount = self.rule_id, self.refund_amount
        logistics_stage = self.logistics_stage
        if logistics_stage != "not_shipped":
            self._create_return_pickings()
        # The refund is measured before Odoo's cancel, which cancels draft
        # invoices; the credit note comes after it so that it stays.
        # sudo: cancelling the order's draft invoices is part of the
        # cancellation the user may do, accounting rights or not.
        order.sudo()._action_cancel()
        order.sudo().cancel_logistics_stage = logistics_stage
        return self._create_credit_note(rule, amount)

    def _create_return_pickings(self):
        """The goods come back: one return per delivery done, of everything
        it delivered."""
        for delivery in self.order_id._get_done_deliveries():
            delivery._create_customer_return()

    def _create_credit_note(self, rule, amount):
        """A draft credit note for the refund, by Odoo's own reversal of the
        latest posted invoice; none when nothing was paid or invoiced."""
        # sudo: drafting the credit note is the procedure's part of the finance
        # rules; salespeople may not write accounting entries, accountants post
        # and reconcile it.
        invoices = self.order_id.sudo()._get_posted_invoices()
        if not invoices or amount <= 0:
            return self.env["account.move"]
        invoice = invoices.sorted(lambda m: (m.invoice_date or m.date, m.id))[-1]
        reason = self.env._(
            "Cancellation of %(order)s (%(rule)s): %(reason)s",
            order=self.order_id.name,
            rule=rule.name,
            reason=self.reason.strip(),
        )
        reversal = (
            self.env["account.move.reversal"]
            .sudo()
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": reason, "journal_id": invoice.journal_id.id})
        )
        reversal.reverse_moves()
        refund = reversal.new_move_ids
        # Refund what the rule grants, not the whole invoice.
        factor = amount / refund.amount_total if refund.amount_total else 0
        if abs(factor - 1) > 1e-6:
            for line in refund.invoice_line_ids:
                line.price_unit = line.price_unit * factor
        refund.write(
            {
                "procedure_refund_order_id": self.order_id.id,
                "procedure_refund_rule_id": rule.id,
            }
        )
        return refund
