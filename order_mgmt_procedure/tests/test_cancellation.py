from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.misc import format_amount

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestCancellation(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Invoiced on order, without taxes: amounts easy to read.
        cls.product_in_stock.write({"invoice_policy": "order", "taxes_id": False})
        cls.product_in_stock.list_price = 500.0

    def _order(self, quantity=2):
        return self._create_reviewed_order([(self.product_in_stock, quantity)])

    def _invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def _pay(self, moves):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({})._create_payments()

    def _money(self, amount):
        return format_amount(self.env, amount, self.company.currency_id)

    def _wizard(self, order, user):
        action = order.with_user(user).action_request_cancel()
        self.assertEqual(action["res_model"], "order.cancel.wizard")
        return (
            self.env["order.cancel.wizard"]
            .with_user(user)
            .with_context(**action["context"])
            .create({"reason": "Customer changed their mind"})
        )

    def test_quotation_cancel_unchanged(self):
        quotation = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        quotation.with_user(self.receiver).action_request_cancel()
        self.assertEqual(quotation.state, "cancel")

    def test_not_shipped_nothing_invoiced(self):
        order = self._order()
        wizard = self._wizard(order, self.receiver)
        self.assertEqual(wizard.logistics_stage, "not_shipped")
        self.assertEqual(
            wizard.rule_id, self.env.ref("order_mgmt_procedure.refund_rule_not_shipped")
        )
        self.assertEqual(wizard.invoiced_amount, 0)
        self.assertEqual(wizard.paid_amount, 0)
        self.assertEqual(wizard.refund_amount, 0)
        self.assertEqual(
            wizard.refund_summary,
            "Nothing to refund: nothing was invoiced or paid for this order.",
        )
        wizard.action_confirm_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.procedure_stage, "cancelled")
        self.assertEqual(order.picking_ids.state, "cancel")
        self.assertFalse(order.refund_move_ids)

    def test_not_shipped_invoiced_full_refund(self):
        order = self._order()
        invoice = self._invoice(order)
        self.assertEqual(invoice.amount_total, 1000)
        wizard = self._wizard(order, self.receiver)
        self.assertEqual(wizard.invoiced_amount, 1000)
        self.assertEqual(wizard.paid_amount, 0)
        self.assertEqual(wizard.refund_amount, 1000)
        self.assertEqual(wizard.return_shipping_cost, 0)
        self.assertEqual(
            wizard.refund_summary,
            f"Refund {self._money(1000)}: 100% of the {self._money(1000)} invoiced.\n"
            "Nothing was paid yet: the credit note lowers what the customer owes; "
            "no money is paid back.",
        )
        wizard.action_confirm_cancel()
        refund = order.refund_move_ids
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "draft")
        self.assertEqual(refund.amount_total, 1000)
        self.assertEqual(refund.reversed_entry_id, invoice)
        self.assertIn("Customer changed their mind", refund.ref)
        self.assertIn("Not shipped: full refund", refund.ref)
        self.assertEqual(refund.procedure_refund_rule_id.logistics_stage, "not_shipped")

    def test_shipped_paid_order_needs_a_manager(self):
        order = self._order()
        invoice = self._invoice(order)
        self._pay(invoice)
        self._ship(order)
        refusal = "has already shipped: only a procedure manager can cancel it now"
        with self.assertRefused(UserError, refusal):
            order.with_user(self.receiver).action_request_cancel()
        # The wizard made by hand (an RPC client) refuses too.
        wizard = (
            self.env["order.cancel.wizard"]
            .with_user(self.receiver)
            .create({"order_id": order.id, "reason": "Changed their mind"})
        )
        self.assertEqual(wizard.logistics_stage, "shipped")
        with self.assertRefused(UserError, refusal):
            wizard.action_confirm_cancel()
        self.assertEqual(order.state, "sale")

        wizard = self._wizard(order, self.manager)
        self.assertEqual(wizard.invoiced_amount, 1000)
        self.assertEqual(wizard.paid_amount, 1000)
        self.assertEqual(wizard.refund_amount, 970)
        self.assertEqual(wizard.return_shipping_cost, 30)
        self.assertEqual(
            wizard.refund_summary,
            f"Refund {self._money(970)}: 100% of the {self._money(1000)} invoiced, "
            f"less {self._money(30)} return shipping paid by the customer.\n"
            f"{self._money(1000)} was paid: {self._money(970)} is to be paid back "
            "to the customer.",
        )
        wizard.action_confirm_cancel()
        self.assertEqual(order.refund_move_ids.amount_total, 970)
        returns = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "incoming"
        )
        self.assertEqual(len(returns), 1, "the goods come back")
        self.assertEqual(returns.move_ids.product_uom_qty, 2)

    def test_can_cancel_by_role_and_stage(self):
        """The Cancel button shows to whoever the method lets cancel."""
        salesman = new_test_user(
            self.env, "omp_cancel_salesman", "sales_team.group_sale_salesman_all_leads"
        )
        roles = {
            self.receiver: (True, False),
            self.reviewer: (True, False),
            self.manager: (True, True),
            self.warehouse_user: (False, False),
            salesman: (False, False),
        }
        quotation = self._create_order([(self.product_in_stock, 1)])
        order = self._order()
        shipped = self._order()
        self._ship(shipped)
        for user, (before_shipment, after_shipment) in roles.items():
            with self.subTest(user=user.login):
                self.assertFalse(
                    quotation.with_user(user).can_request_cancel,
                    "quotations keep Odoo's own Cancel",
                )
                self.assertEqual(
                    order.with_user(user).can_request_cancel, before_shipment
                )
                self.assertEqual(
                    shipped.with_user(user).can_request_cancel, after_shipment
                )
                if not after_shipment:
                    with self.assertRaises(UserError):
                        shipped.with_user(user).action_request_cancel()

        order.action_lock()
        self.assertFalse(order.with_user(self.manager).can_request_cancel)
        with self.assertRefused(UserError, "is locked: unlock it"):
            order.with_user(self.manager).action_request_cancel()
        order.action_unlock()
        self._wizard(order, self.receiver).action_confirm_cancel()
        self.assertFalse(order.with_user(self.manager).can_request_cancel)

    def test_shipped_nothing_invoiced_deducts_nothing(self):
        """The case seen on the screens: in transit, nothing invoiced or paid."""
        order = self._order()
        delivery = self._ship(order)
        self.env["stock.picking.logistics.event"].create(
            {"picking_id": delivery.id, "event_type": "in_transit"}
        )
        wizard = self._wizard(order, self.manager)
        self.assertEqual(wizard.logistics_stage, "in_transit")
        self.assertEqual(wizard.return_shipping_cost, 0)
        self.assertEqual(wizard.refund_amount, 0)
        self.assertEqual(
            wizard.refund_summary,
            "Nothing to refund: nothing was invoiced or paid for this order.",
        )

    def test_preview_of_partly_paid_orders(self):
        partly = self._order()
        invoice = self._invoice(partly)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 400})._create_payments()
        wizard = self._wizard(partly, self.receiver)
        self.assertEqual(wizard.paid_amount, 400)
        self.assertEqual(
            wizard.refund_summary,
            f"Refund {self._money(1000)}: 100% of the {self._money(1000)} invoiced.\n"
            f"{self._money(400)} was paid: {self._money(400)} is to be paid back to "
            "the customer.",
        )
        self._ship(partly)
        wizard = self._wizard(partly, self.manager)
        self.assertEqual(
            wizard.refund_summary,
            f"Refund {self._money(970)}: 100% of the {self._money(1000)} invoiced, "
            f"less {self._money(30)} return shipping paid by the customer.\n"
            f"{self._money(400)} was paid: {self._money(370)} is to be paid back to "
            "the customer.",
        )

        # A quarter paid, the rule refunding half: the credit note only lowers
        # what is still due.
        self.env.ref("order_mgmt_procedure.refund_rule_not_shipped").refund_percent = 50
        quarter = self._order()
        invoice = self._invoice(quarter)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": 250})._create_payments()
        self.assertEqual(
            self._wizard(quarter, self.receiver).refund_summary,
            f"Refund {self._money(500)}: 50% of the {self._money(1000)} invoiced.\n"
            f"{self._money(250)} was paid: the credit note lowers what is still due; "
            "no money is paid back.",
        )

    def test_in_transit_and_delivered_rules(self):
        in_transit = self._order()
        self._invoice(in_transit)
        delivery = self._ship(in_transit)
        self.env["stock.picking.logistics.event"].create(
            {"picking_id": delivery.id, "event_type": "in_transit"}
        )
        wizard = self._wizard(in_transit, self.manager)
        self.assertEqual(wizard.logistics_stage, "in_transit")
        self.assertEqual(
            wizard.refund_summary,
            f"Refund {self._money(870)}: 90% of the {self._money(1000)} invoiced, "
            f"less {self._money(30)} return shipping paid by the customer.\n"
            "Nothing was paid yet: the credit note lowers what the customer owes; "
            "no money is paid back.",
        )

        delivered = self._order()
        self._invoice(delivered)
        self._ship(delivered)
        delivered.with_user(self.receiver).action_sign_off()
        wizard = self._wizard(delivered, self.manager)
        self.assertEqual(wizard.logistics_stage, "delivered")
        self.assertEqual(wizard.refund_amount, 770)

    def test_refund_never_below_zero_nor_above_paid(self):
        self.product_in_stock.list_price = 10.0
        order = self._order(quantity=1)
        self._invoice(order)
        self._ship(order)
        wizard = self._wizard(order, self.manager)
        self.assertEqual(wizard.invoiced_amount, 10)
        self.assertEqual(wizard.refund_amount, 0)
        self.assertEqual(
            wizard.refund_summary,
            f"Refund {self._money(0)}: 100% of the {self._money(10)} invoiced, "
            f"less {self._money(30)} return shipping paid by the customer.\n"
            "Nothing to refund: no credit note is drafted.",
        )
        wizard.action_confirm_cancel()
        self.assertFalse(order.refund_move_ids, "nothing to refund")

        rule = self.env.ref("order_mgmt_procedure.refund_rule_not_shipped")
        self.assertEqual(rule._compute_refund(100.0), (100.0, 0.0))

    def test_confirming_twice_makes_one_credit_note(self):
        order = self._order()
        self._invoice(order)
        wizard = self._wizard(order, self.receiver)
        wizard.action_confirm_cancel()
        wizard.action_confirm_cancel()
        self.assertEqual(len(order.refund_move_ids), 1)
        with self.assertRefused(UserError, "already cancelled"):
            order.with_user(self.receiver).action_request_cancel()

    def test_accountant_posts_and_reconciles(self):
        order = self._order()
        invoice = self._invoice(order)
        self._pay(invoice)
        self._wizard(order, self.receiver).action_confirm_cancel()
        refund = order.refund_move_ids.with_user(self.accountant)
        action = self.env.ref("order_mgmt_procedure.action_procedure_refunds")
        listed = (
            self.env["account.move"]
            .with_user(self.accountant)
            .search(
                [("procedure_refund_order_id", "!=", False), ("state", "=", "draft")]
            )
        )
        self.assertIn(refund, listed)
        self.assertIn("procedure_refund_order_id", action.domain)
        refund.action_post()
        self.assertEqual(refund.state, "posted")
        self.env["account.payment.register"].with_user(self.accountant).with_context(
            active_model="account.move", active_ids=refund.ids
        ).create({})._create_payments()
        self.assertIn(refund.payment_state, ("paid", "in_payment"))

    def test_company_rules_do_not_leak(self):
        other = self.env["res.company"].create({"name": "Chengdu Branch"})
        other_rule = self.env["order.cancel.refund.rule"].create(
            {
                "name": "Chengdu not shipped",
                "logistics_stage": "not_shipped",
                "refund_percent": 50,
                "company_id": other.id,
            }
        )
        order = self._order()
        self._invoice(order)
        wizard = self._wizard(order, self.receiver)
        self.assertNotEqual(wizard.rule_id, other_rule)
        self.assertEqual(wizard.refund_amount, 1000)
        self.assertFalse(
            self.env["order.cancel.refund.rule"]
            .with_user(self.manager)
            .search([("id", "=", other_rule.id)])
        )

    def test_rule_constraints(self):
        Rule = self.env["order.cancel.refund.rule"]
        with self.assertRefused(Exception, "already a refund rule"):
            Rule.create({"name": "Twice", "logistics_stage": "shipped"})
        with self.assertRefused(Exception, "between 0 and 100"):
            Rule.create(
                {
                    "name": "Too much",
                    "logistics_stage": "shipped",
                    "refund_percent": 120,
                }
            )

    def test_form_preview(self):
        order = self._order()
        self._invoice(order)
        action = order.with_user(self.receiver).action_request_cancel()
        with Form(
            self.env["order.cancel.wizard"]
            .with_user(self.receiver)
            .with_context(**action["context"])
        ) as form:
            form.reason = "Duplicate order"
            self.assertEqual(form.refund_amount, 1000)


@tagged("post_install", "-at_install")
class TestCustomerReturn(OrderProcedureCase):
    """``stock.picking._create_customer_return``: the one way the procedure
    brings delivered goods back, for cancellations and return requests."""

    def _returns(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")

    def test_quantities_and_values(self):
        order = self._create_reviewed_order([(self.product_in_stock, 3)])
        delivery = self._ship(order)
        back = delivery.with_user(self.manager)._create_customer_return(
            {self.product_in_stock: 2}, {"origin": "Partial return"}
        )
        self.assertEqual(back, self._returns(order))
        self.assertEqual(back.return_id, delivery)
        self.assertEqual(back.move_ids.product_uom_qty, 2)
        self.assertEqual(back.origin, "Partial return")
        self.assertEqual(back.state, "assigned")

    def test_integrator_override_reaches_both_callers(self):
        """A module adding a value to every customer return: the cancellation
        after shipment and the approval of a return request both use it."""
        Picking = type(self.env["stock.picking"])
        original = Picking._create_customer_return

        def override(delivery, quantities=None, vals=None):
            vals = {**(vals or {}), "note": "Inspect before restocking"}
            return original(delivery, quantities, vals)

        cancelled = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(cancelled)
        completed = self._completed_order()
        request = (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create(
                {
                    "order_id": completed.id,
                    "request_type": "exchange",
                    "reason": "Wrong colour",
                    "line_ids": [
                        Command.create(
                            {"product_id": self.product_in_stock.id, "quantity": 1}
                        )
                    ],
                }
            )
        )
        request.action_submit()
        with patch.object(Picking, "_create_customer_return", override):
            action = cancelled.with_user(self.manager).action_request_cancel()
            self.env["order.cancel.wizard"].with_user(self.manager).with_context(
                **action["context"]
            ).create({"reason": "Customer moved abroad"}).action_confirm_cancel()
            request.with_user(self.manager).action_approve()

        from_cancel = self._returns(cancelled)
        self.assertEqual(from_cancel.move_ids.product_uom_qty, 2, "everything")
        self.assertIn("Inspect before restocking", from_cancel.note)
        self.assertEqual(request.return_picking_id.move_ids.product_uom_qty, 1)
        self.assertIn("Inspect before restocking", request.return_picking_id.note)
