from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

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
    invoiced_amount = fields.Monetary(
        string="Invoiced",
        compute="_compute_refund",
        currency_field="currency_id",
        help="Posted invoices of the order less its posted credit notes: what "
        "the refund rule's percentage applies to.",
    )
    paid_amount = fields.Monetary(
        string="Paid",
        compute="_compute_refund",
        currency_field="currency_id",
        help="What the customer paid on those invoices (or online, before any "
        "invoice).",
    )
    return_shipping_cost = fields.Monetary(
        string="Return Shipping Deducted",
        compute="_compute_refund",
        currency_field="currency_id",
    )
    refund_amount = fields.Monetary(
        compute="_compute_refund", currency_field="currency_id"
    )
    refund_summary = fields.Text(compute="_compute_refund")

    # === COMPUTE METHODS === #

    @api.depends("order_id")
    @api.depends_context("lang")
    def _compute_refund(self):
        Rule = self.env["order.cancel.refund.rule"]
        for wizard in self:
            order = wizard.order_id
            stage = order._get_logistics_stage() if order else False
            rule = Rule._get_rule(order.company_id, stage) if order else Rule
            base = order._get_refundable_amount() if order else 0.0
            amount, shipping = rule._compute_refund(base) if rule else (0.0, 0.0)
            if not base:
                shipping = 0.0  # nothing invoiced to deduct it from
            wizard.logistics_stage = stage
            wizard.rule_id = rule
            wizard.invoiced_amount = base
            wizard.paid_amount = order._get_paid_amount() if order else 0.0
            wizard.return_shipping_cost = shipping
            wizard.refund_amount = amount
            wizard.refund_summary = wizard._get_refund_summary() if rule else False

    # === ACTION METHODS === #

    def action_confirm_cancel(self):
        self.ensure_one()
        order = self.order_id
        if not (self.reason or "").strip():
            raise UserError(self.env._("Give the reason of the cancellation."))
        order._lock_procedure_step()
        if order.state == "cancel" or (
            order.refund_move_ids.filtered(
                lambda m: m.state != "cancel" and m.procedure_refund_origin != "return"
            )
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
        if len(refund) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "account.move",
                "res_id": refund.id,
                "view_mode": "form",
            }
        if refund:
            # One credit note per invoice: the accountants' list of them.
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "order_mgmt_procedure.action_procedure_refunds"
            )
            action["domain"] = [("id", "in", refund.ids)]
            action["context"] = {"default_move_type": "out_refund"}
            return action
        return {"type": "ir.actions.act_window_close"}

    # === BUSINESS METHODS === #

    def _get_refund_summary(self):
        """The refund in plain words: how much, from what was invoiced and
        paid, and what becomes of it."""
        self.ensure_one()

        def money(value):
            return format_amount(self.env, value, self.currency_id)

        invoiced, paid = self.invoiced_amount, self.paid_amount
        refund, shipping = self.refund_amount, self.return_shipping_cost
        if not invoiced:
            if not paid:
                return self.env._(
                    "Nothing to refund: nothing was invoiced or paid for this order."
                )
            return self.env._(
                "Nothing was invoiced but %(paid)s was paid: no credit note is "
                "drafted; the accountants pay the payment back.",
                paid=money(paid),
            )
        values = {
            "refund": money(refund),
            "percent": f"{self.rule_id.refund_percent:g}",
            "invoiced": money(invoiced),
            "shipping": money(shipping),
        }
        what = (
            self.env._(
                "Refund %(refund)s: %(percent)s%% of the %(invoiced)s invoiced, "
                "less %(shipping)s return shipping paid by the customer.",
                **values,
            )
            if shipping
            else self.env._(
                "Refund %(refund)s: %(percent)s%% of the %(invoiced)s invoiced.",
                **values,
            )
        )
        # The credit note first settles what is still due, the rest is money
        # back.
        paid_back = max(refund - (invoiced - paid), 0.0)
        if self.currency_id.is_zero(refund):
            how = self.env._("Nothing to refund: no credit note is drafted.")
        elif self.currency_id.is_zero(paid):
            how = self.env._(
                "Nothing was paid yet: the credit note lowers what the customer "
                "owes; no money is paid back."
            )
        elif self.currency_id.is_zero(paid_back):
            how = self.env._(
                "%(paid)s was paid: the credit note lowers what is still due; no "
                "money is paid back.",
                paid=money(paid),
            )
        else:
            how = self.env._(
                "%(paid)s was paid: %(paid_back)s is to be paid back to the customer.",
                paid=money(paid),
                paid_back=money(paid_back),
            )
        return f"{what}\n{how}"

    def _check_cancellable(self):
        """After shipment only procedure managers cancel, and a refund rule
        must cover the goods' logistics stage."""
        self.order_id._check_cancel_allowed()
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
        """Draft credit notes for the refund, by Odoo's own reversal of the
        posted invoices: one per invoice, each refunding its share of
        ``amount`` in proportion of what it may still refund; none when
        nothing was paid or invoiced. Returns them."""
        # sudo: drafting the credit note is the procedure's part of the finance
        # rules; salespeople may not write accounting entries, accountants post
        # and reconcile it.
        order = self.order_id.sudo()
        Move = self.env["account.move"].sudo()
        shares = order._get_refund_shares(amount)
        if not shares:
            return Move
        invoices = Move.browse([invoice.id for invoice, __ in shares])
        reason = self.env._(
            "Cancellation of %(order)s (%(rule)s): %(reason)s",
            order=order.name,
            rule=rule.name,
            reason=self.reason.strip(),
        )
        reversal = (
            self.env["account.move.reversal"]
            .sudo()
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"reason": reason, "journal_id": invoices[-1].journal_id.id})
        )
        reversal.reverse_moves()
        refunds = reversal.new_move_ids
        total_shipping = self.return_shipping_cost
        for invoice, share in shares:
            refund = refunds.filtered(lambda m, inv=invoice: m.reversed_entry_id == inv)
            # Refund what the rule grants, not the whole invoice.
            factor = share / refund.amount_total if refund.amount_total else 0
            if abs(factor - 1) > 1e-6:
                for line in refund.invoice_line_ids:
                    line.price_unit = line.price_unit * factor
            vals = {
                "procedure_refund_order_id": order.id,
                "procedure_refund_origin": "cancellation",
                "procedure_refund_reason": self.reason.strip(),
                "procedure_refund_rule_id": rule.id,
                "procedure_logistics_stage": self.logistics_stage,
                "procedure_refund_percent": rule.refund_percent,
                "procedure_return_shipping": invoice.currency_id.round(
                    total_shipping * share / amount
                ),
            }
            if len(shares) > 1:
                lang_env = refund.with_context(lang=refund.partner_id.lang).env
                vals["ref"] = lang_env._(
                    "%(ref)s (invoice %(invoice)s of %(count)s)",
                    ref=refund.ref or "",
                    invoice=invoice.name,
                    count=len(shares),
                )
            refund._write_procedure_facts(vals)
        refunds = refunds.sorted(
            lambda m: (
                m.reversed_entry_id.invoice_date or m.date,
                m.reversed_entry_id.id,
            )
        )
        refunds._set_procedure_invoice_shares()
        return refunds
