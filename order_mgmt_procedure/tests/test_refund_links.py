"""Every procedure credit note reverses the invoice it refunds and says what
it refunds: the links Odoo's reversal makes, the share of each invoice of an
order invoiced several times, Odoo's reconciliation of the pair, and who reads
and writes the origin."""

from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import tagged

from .common import OrderProcedureCase


class RefundLinksCase(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_in_stock.write(
            {"invoice_policy": "order", "taxes_id": False, "list_price": 100.0}
        )
        cls.vat = cls.env["account.tax"].create(
            {"name": "VAT 13% (test)", "amount": 13.0, "type_tax_use": "sale"}
        )
        cls.other_income = cls.env["account.account"].create(
            {"name": "Sales of Cabinets", "code": "600123", "account_type": "income"}
        )
        plan = cls.env["account.analytic.plan"].create({"name": "Channels"})
        cls.analytic = cls.env["account.analytic.account"].create(
            {"name": "Distributors", "plan_id": plan.id}
        )

    def _invoice(self, order, quantity=None):
        """A posted invoice of the order, its lines edited by the accountant
        before posting (another income account, VAT, an analytic account):
        what a credit note must reverse is the invoice, not the order."""
        invoice = order._create_invoices()
        lines = invoice.invoice_line_ids.filtered(lambda ln: ln.product_id)
        vals = {
            "account_id": self.other_income.id,
            "tax_ids": [Command.set(self.vat.ids)],
            "analytic_distribution": {str(self.analytic.id): 100},
        }
        if quantity is not None:
            vals["quantity"] = quantity
        lines.write(vals)
        invoice.action_post()
        return invoice

    def _pay(self, invoice, amount):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": amount})._create_payments()

    def _returned(self, quantity, invoiced, returned, reason="Door hinge broken"):
        """An order of ``quantity`` invoiced in the quantities ``invoiced``,
        shipped, signed off, and ``returned`` taken back by an approved
        return whose goods came back."""
        order = self._create_reviewed_order([(self.product_in_stock, quantity)])
        invoices = self.env["account.move"]
        for qty in invoiced:
            invoices |= self._invoice(order, qty)
        self._ship(order)
        order.with_user(self.receiver).action_sign_off()
        request = (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create(
                {
                    "order_id": order.id,
                    "request_type": "return",
                    "reason": reason,
                    "condition_intact": True,
                    "condition_accessories": True,
                    "line_ids": [
                        Command.create(
                            {
                                "product_id": self.product_in_stock.id,
                                "quantity": returned,
                            }
                        )
                    ],
                }
            )
        )
        request.action_submit()
        request.with_user(self.manager).action_approve()
        picking = request.return_picking_id.with_user(self.warehouse_user)
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(request.state, "done")
        return order, invoices, request.with_env(self.env)

    def assertReverses(self, refund, invoice, quantity=None):
        """``refund`` reverses ``invoice`` as Odoo's reversal does."""
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertEqual(refund.partner_id, invoice.partner_id)
        self.assertEqual(refund.journal_id, invoice.journal_id)
        self.assertEqual(refund.fiscal_position_id, invoice.fiscal_position_id)
        self.assertEqual(refund.currency_id, invoice.currency_id)
        refund_line = refund.invoice_line_ids
        invoice_line = invoice.invoice_line_ids.filtered(lambda ln: ln.product_id)
        self.assertEqual(len(refund_line), 1)
        self.assertEqual(refund_line.account_id, invoice_line.account_id)
        self.assertEqual(refund_line.account_id, self.other_income)
        self.assertEqual(refund_line.tax_ids, invoice_line.tax_ids)
        self.assertEqual(refund_line.tax_ids, self.vat)
        self.assertEqual(
            refund_line.analytic_distribution, invoice_line.analytic_distribution
        )
        self.assertEqual(refund_line.sale_line_ids, invoice_line.sale_line_ids)
        self.assertTrue(refund_line.sale_line_ids)
        self.assertEqual(refund_line.product_uom_id, invoice_line.product_uom_id)
        if quantity is not None:
            self.assertEqual(refund_line.quantity, quantity)

    def assertReconciledWith(self, refund, invoice):
        """The credit note's receivable is matched with the invoice's."""
        receivable = refund.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(
            receivable.matched_debit_ids.debit_move_id.move_id,
            invoice,
            "the credit note is reconciled with the invoice it reverses",
        )


@tagged("post_install", "-at_install")
class TestReturnRefundLinks(RefundLinksCase):
    def test_return_credit_note_reverses_its_invoice(self):
        order, invoice, request = self._returned(3, [3], 2)
        refund = request.refund_move_id
        self.assertReverses(refund, invoice, quantity=2)
        self.assertEqual(request.refund_move_ids, refund)
        self.assertEqual(refund.invoice_line_ids.price_unit, 100)
        self.assertEqual(refund.amount_untaxed, 200)
        self.assertEqual(refund.amount_total, 226, "the invoice's VAT")
        # What it refunds, for the accountants.
        self.assertEqual(refund.procedure_refund_origin, "return")
        self.assertEqual(refund.procedure_refund_order_id, order)
        self.assertEqual(refund.procedure_return_request_id, request)
        self.assertEqual(refund.procedure_refund_reason, "Door hinge broken")
        self.assertEqual(refund.procedure_logistics_stage, "delivered")
        self.assertEqual(refund.procedure_refund_percent, 100)
        self.assertEqual(refund.procedure_return_shipping, 0)
        self.assertEqual(refund.procedure_invoice_share, 100)
        self.assertFalse(refund.procedure_refund_rule_id)
        # The order line is invoiced 3 - 2 once the credit note is posted.
        refund.action_post()
        self.assertEqual(order.order_line.qty_invoiced, 1)

    def test_partial_return_reconciles_with_the_paid_invoice(self):
        """Invoice 339 (3 x 100 + VAT), 100 paid; 2 returned: posting the
        credit note (226) reconciles it with the invoice, 13 left due; the
        pair is also what the invoice's outstanding credits propose."""
        __, invoice, request = self._returned(3, [3], 2)
        self._pay(invoice, 100)
        self.assertEqual(invoice.payment_state, "partial")
        refund = request.refund_move_id.with_user(self.accountant)
        refund.action_post()
        self.assertReconciledWith(refund, invoice)
        self.assertEqual(refund.amount_residual, 0)
        self.assertEqual(invoice.amount_residual, 13)
        self.assertEqual(invoice.payment_state, "partial")
        # Undone, Odoo's payment widget proposes the credit note on the invoice,
        # and assigning it reconciles the pair again.
        partial = refund.line_ids.matched_debit_ids
        invoice.with_user(self.accountant).js_remove_outstanding_partial(partial.id)
        self.assertEqual(invoice.amount_residual, 239)
        proposed = invoice.invoice_outstanding_credits_debits_widget
        receivable = refund.line_ids.filtered(
            lambda ln: ln.account_id.account_type == "asset_receivable"
        )
        self.assertIn(receivable.id, [credit["id"] for credit in proposed["content"]])
        invoice.with_user(self.accountant).js_assign_outstanding_line(receivable.id)
        self.assertReconciledWith(refund, invoice)
        self.assertEqual(invoice.amount_residual, 13)
        self.assertIn(refund.payment_state, ("paid", "reversed"))

    def test_order_invoiced_twice_refunds_each_invoice_in_proportion(self):
        """4 ordered, invoiced 2 and 2, 2 returned: one credit note per
        invoice, 1 each, each reversing its invoice and saying its share."""
        order, invoices, request = self._returned(4, [2, 2], 2)
        first, second = invoices
        refunds = request.refund_move_ids.sorted("id")
        self.assertEqual(len(refunds), 2)
        self.assertReverses(refunds[0], first, quantity=1)
        self.assertReverses(refunds[1], second, quantity=1)
        self.assertEqual(request.refund_move_id, refunds[1], "the latest invoice's")
        self.assertEqual(refunds.mapped("procedure_invoice_share"), [50, 50])
        self.assertIn(f"invoice {first.name} of 2", refunds[0].ref)
        self.assertIn(f"invoice {second.name} of 2", refunds[1].ref)
        self.assertEqual(order.refund_move_ids, refunds)
        # Both post and reconcile with their own invoice.
        refunds.action_post()
        self.assertReconciledWith(refunds[0], first)
        self.assertReconciledWith(refunds[1], second)
        self.assertEqual(first.amount_residual, 113)
        self.assertEqual(second.amount_residual, 113)

    def test_uneven_invoices_share_in_proportion(self):
        """Invoiced 1 and 3, 2 returned: 0.5 and 1.5."""
        __, invoices, request = self._returned(4, [1, 3], 2)
        refunds = request.refund_move_ids.sorted("id")
        self.assertReverses(refunds[0], invoices[0], quantity=0.5)
        self.assertReverses(refunds[1], invoices[1], quantity=1.5)
        self.assertEqual(refunds.mapped("procedure_invoice_share"), [25, 75])

    def test_goods_not_invoiced_are_not_refunded_and_said_so(self):
        """3 ordered, 1 invoiced, 2 returned: the credit note refunds the 1
        invoiced and the request says the other is not refunded."""
        __, invoice, request = self._returned(3, [1], 2, reason="Too big")
        self.assertReverses(request.refund_move_id, invoice, quantity=1)
        self.assertIn(
            "Not refunded, as not invoiced or already refunded",
            " ".join(request.message_ids.mapped("body")),
        )


@tagged("post_install", "-at_install")
class TestCancellationRefundLinks(RefundLinksCase):
    def setUp(self):
        super().setUp()
        # Half refunded, 40 of return shipping paid by the customer.
        self.rule = self.env.ref("order_mgmt_procedure.refund_rule_not_shipped")
        self.rule.write(
            {
                "refund_percent": 50,
                "return_shipping_by": "customer",
                "return_shipping_cost": 40,
            }
        )

    def _cancel(self, order):
        action = order.with_user(self.receiver).action_request_cancel()
        wizard = (
            self.env["order.cancel.wizard"]
            .with_user(self.receiver)
            .with_context(**action["context"])
            .create({"reason": "Customer found a cheaper model"})
        )
        result = wizard.action_confirm_cancel()
        return result, order.refund_move_ids.sorted("id")

    def test_cancellation_credit_note_reverses_its_invoice(self):
        """Invoice 4 x 100 + VAT = 452: 50% less 40 = 186."""
        order = self._create_reviewed_order([(self.product_in_stock, 4)])
        invoice = self._invoice(order)
        __, refund = self._cancel(order)
        self.assertReverses(refund, invoice, quantity=4)
        self.assertAlmostEqual(refund.amount_total, 186, delta=0.05)
        self.assertEqual(refund.procedure_refund_origin, "cancellation")
        self.assertEqual(refund.procedure_refund_order_id, order)
        self.assertEqual(
            refund.procedure_refund_reason, "Customer found a cheaper model"
        )
        self.assertEqual(refund.procedure_refund_rule_id, self.rule)
        self.assertEqual(refund.procedure_logistics_stage, "not_shipped")
        self.assertEqual(refund.procedure_refund_percent, 50)
        self.assertEqual(refund.procedure_return_shipping, 40)
        self.assertEqual(refund.procedure_invoice_share, 100)
        self.assertFalse(refund.procedure_return_request_id)

    def test_order_invoiced_twice_cancelled_in_proportion(self):
        """Invoiced 1 and 3 (113 and 339, 452 in all): 50% less 40 = 186,
        46.50 and 139.50 (return shipping 10 and 30), one credit note per
        invoice; each posted reconciles with its invoice."""
        order = self._create_reviewed_order([(self.product_in_stock, 4)])
        first = self._invoice(order, 1)
        second = self._invoice(order)
        self.assertEqual((first.amount_total, second.amount_total), (113, 339))
        self._pay(second, 100)
        result, refunds = self._cancel(order)
        self.assertEqual(len(refunds), 2)
        self.assertEqual(result["domain"], [("id", "in", refunds.ids)])
        self.assertReverses(refunds[0], first, quantity=1)
        self.assertReverses(refunds[1], second, quantity=3)
        self.assertAlmostEqual(refunds[0].amount_total, 46.5, delta=0.05)
        self.assertAlmostEqual(refunds[1].amount_total, 139.5, delta=0.05)
        self.assertEqual(refunds.mapped("procedure_return_shipping"), [10, 30])
        self.assertEqual(
            [round(s) for s in refunds.mapped("procedure_invoice_share")], [25, 75]
        )
        self.assertEqual(refunds.mapped("procedure_refund_percent"), [50, 50])
        self.assertIn(f"invoice {first.name} of 2", refunds[0].ref)
        refunds.with_user(self.accountant).action_post()
        self.assertReconciledWith(refunds[0], first)
        self.assertReconciledWith(refunds[1], second)
        self.assertAlmostEqual(first.amount_residual, 113 - 46.5, delta=0.05)
        self.assertAlmostEqual(second.amount_residual, 339 - 100 - 139.5, delta=0.05)
        self.assertEqual(refunds.mapped("amount_residual"), [0, 0])

    def test_a_return_refund_does_not_stop_the_cancellation(self):
        """A return's credit note on the order is no cancellation's: Cancel
        still cancels and refunds."""
        order = self._create_reviewed_order([(self.product_in_stock, 4)])
        invoice = self._invoice(order)
        return_refund = self.env["account.move"]._create_procedure_facts(
            [
                {
                    **invoice._prepare_procedure_reversal_vals(),
                    "procedure_refund_order_id": order.id,
                    "procedure_refund_origin": "return",
                }
            ]
        )
        __, refunds = self._cancel(order)
        self.assertEqual(order.state, "cancel")
        cancellation = refunds - return_refund
        self.assertEqual(len(cancellation), 1)
        self.assertEqual(cancellation.procedure_refund_origin, "cancellation")


@tagged("post_install", "-at_install")
class TestRefundOriginAccess(RefundLinksCase):
    FIELDS = [
        "procedure_refund_order_id",
        "procedure_refund_origin",
        "procedure_return_request_id",
        "procedure_refund_reason",
        "procedure_refund_rule_id",
        "procedure_logistics_stage",
        "procedure_refund_percent",
        "procedure_return_shipping",
        "procedure_invoice_share",
    ]

    def _cancelled_refund(self):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._invoice(order)
        action = order.with_user(self.receiver).action_request_cancel()
        self.env["order.cancel.wizard"].with_user(self.receiver).with_context(
            **action["context"]
        ).create({"reason": "Ordered twice"}).action_confirm_cancel()
        return order.refund_move_ids

    def test_accountant_reads_filters_and_groups_the_origin(self):
        refund = self._cancelled_refund().with_user(self.accountant)
        values = refund.read(self.FIELDS)[0]
        self.assertEqual(values["procedure_refund_origin"], "cancellation")
        self.assertEqual(values["procedure_refund_reason"], "Ordered twice")
        self.assertEqual(values["procedure_logistics_stage"], "not_shipped")
        self.assertEqual(
            values["procedure_refund_order_id"][0], refund.procedure_refund_order_id.id
        )
        Move = self.env["account.move"].with_user(self.accountant)
        self.assertIn(
            refund, Move.search([("procedure_refund_origin", "=", "cancellation")])
        )
        groups = Move.formatted_read_group(
            [("id", "=", refund.id)], ["procedure_logistics_stage"], ["__count"]
        )
        self.assertEqual(groups[0]["procedure_logistics_stage"], "not_shipped")
        # The Procedure Refunds search view offers the filters and group-bys.
        arch = Move.get_view(
            self.env.ref(
                "order_mgmt_procedure.account_move_view_search_procedure_refunds"
            ).id,
            "search",
        )["arch"]
        for name in (
            "from_cancellation",
            "from_return",
            "group_origin",
            "group_logistics_stage",
            "group_reversed",
        ):
            self.assertIn(f'name="{name}"', arch)

    def test_accountant_reads_the_return_request(self):
        refund = self._returned(3, [3], 2)[2].refund_move_id
        refund = refund.with_user(self.accountant)
        self.assertEqual(
            refund.procedure_return_request_id.display_name,
            refund.sudo().procedure_return_request_id.name,
        )
        self.assertEqual(refund.procedure_return_request_id.reason, "Door hinge broken")

    def test_nobody_writes_the_origin(self):
        refund = self._cancelled_refund()
        for user in (self.receiver, self.accountant, self.manager):
            for field, value in (
                ("procedure_refund_reason", "Something else"),
                ("procedure_refund_percent", 100),
                ("procedure_refund_origin", "return"),
            ):
                with (
                    self.subTest(user=user.login, field=field),
                    self.assertRaises(AccessError),
                ):
                    refund.with_user(user).write({field: value})
        self.assertEqual(refund.procedure_refund_reason, "Ordered twice")


@tagged("post_install", "-at_install")
class TestRefundLinksUpgrade(RefundLinksCase):
    def test_existing_credit_notes_are_linked(self):
        """Credit notes drafted before 19.0.1.2.0 (no origin, a return's not
        linked to its invoice) get their origin and link."""
        __, invoice, request = self._returned(3, [3], 2)
        return_refund = request.refund_move_id
        cancelled = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._invoice(cancelled)
        action = cancelled.with_user(self.receiver).action_request_cancel()
        self.env["order.cancel.wizard"].with_user(self.receiver).with_context(
            **action["context"]
        ).create({"reason": "Ordered twice"}).action_confirm_cancel()
        cancel_refund = cancelled.refund_move_ids
        moves = return_refund | cancel_refund
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE account_move SET procedure_refund_origin = NULL,
                   procedure_return_request_id = NULL,
                   procedure_refund_reason = NULL,
                   procedure_logistics_stage = NULL,
                   procedure_refund_percent = NULL,
                   procedure_return_shipping = NULL,
                   procedure_invoice_share = NULL
             WHERE id IN %s""",
            [tuple(moves.ids)],
        )
        self.env.cr.execute(
            "UPDATE account_move SET reversed_entry_id = NULL WHERE id = %s",
            [return_refund.id],
        )
        self.env.invalidate_all()
        self.env["account.move"]._upgrade_procedure_refund_links()
        self.assertEqual(return_refund.reversed_entry_id, invoice)
        self.assertEqual(return_refund.procedure_refund_origin, "return")
        self.assertEqual(return_refund.procedure_return_request_id, request)
        self.assertEqual(return_refund.procedure_refund_reason, "Door hinge broken")
        self.assertEqual(return_refund.procedure_invoice_share, 100)
        self.assertEqual(cancel_refund.procedure_refund_origin, "cancellation")
        self.assertEqual(cancel_refund.procedure_logistics_stage, "not_shipped")
        self.assertEqual(cancel_refund.procedure_refund_percent, 100)
        self.assertEqual(cancel_refund.procedure_invoice_share, 100)
