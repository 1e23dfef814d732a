import re
from unittest.mock import patch

from lxml import etree
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import formatLang, mute_logger
from odoo.tools.safe_eval import safe_eval

from ..models.sale_order_review import APPROVING
from .common import OrderProcedureCase

# Intake and review rules, products, free quantities, pricelist, checklist
# lines, the reviewer following: a fixed number of queries whatever the
# number of order lines (every cache of the environment emptied first).
QUERIES_TO_SUBMIT = 47


@tagged("post_install", "-at_install")
class TestReviewChecklist(OrderProcedureCase):
    def _line(self, order, check_type):
        return order.review_line_ids.filtered(lambda ln: ln.check_type == check_type)

    def test_submission_builds_the_checklist(self):
        order = self._submit(
            self._create_order([(self.product_in_stock, 2)], user=self.receiver)
        )
        rules = self.env["order.review.rule"].search([])
        self.assertEqual(order.review_line_ids.rule_id, rules)
        self.assertEqual(
            {ln.check_type: ln.result for ln in order.review_line_ids},
            {
                "completeness": "pass",
                "contact_format": "pass",
                "stock": "pass",
                "payment_terms": "pass",
                "credit": "pass",
                "discount": "pass",
                "pricelist_price": "pass",
                "manual": "pending",
            },
        )
        stock = self._line(order, "stock")
        self.assertEqual(
            stock.message,
            f"Every product is available in {self.warehouse.display_name}.",
        )
        self.assertFalse(stock.checked_by_id, "checked by the system")
        self.assertEqual(stock.checked_by_label, "Automatic")
        self.assertEqual(
            self._line(order, "payment_terms").message, "Payment: 30 Days."
        )
        self.assertEqual(order.review_blocking_count, 1, "the manual tick")

        activity = order.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("order_mgmt_procedure.mail_activity_type_order_review"),
        )
        self.assertTrue(
            activity.user_id.has_group("order_mgmt_procedure.group_order_reviewer")
        )
        self.assertNotEqual(activity.user_id, self.receiver)

    def test_to_review_queue_urgent_first(self):
        normal = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        urgent = self._submit(
            self._create_order(
                [(self.product_in_stock, 1)], user=self.receiver, is_rush=True
            )
        )
        action = self.env.ref("order_mgmt_procedure.action_orders_to_review")
        self.assertEqual(action.domain, "[('review_state', '=', 'to_review')]")
        queue = (
            self.env["sale.order"]
            .with_user(self.reviewer)
            .search(
                [("review_state", "=", "to_review")],
                order="priority desc, received_date asc",
            )
        )
        list_view = self.env.ref("order_mgmt_procedure.sale_order_view_list_procedure")
        self.assertIn(
            'default_order="priority desc, received_date asc"',
            self.env["sale.order"].get_view(list_view.id)["arch"],
        )
        self.assertLess(list(queue).index(urgent), list(queue).index(normal))
        menu = self.env.ref("order_mgmt_procedure.menu_orders_to_review")
        self.assertIn(
            menu.id, self.env["ir.ui.menu"].with_user(self.reviewer)._visible_menu_ids()
        )
        self.assertNotIn(
            menu.id, self.env["ir.ui.menu"].with_user(self.receiver)._visible_menu_ids()
        )

    def test_stock_check(self):
        order = self._submit(
            self._create_order(
                [(self.product_in_stock, 60), (self.product_no_stock, 10)],
                user=self.receiver,
            )
        )
        stock = self._line(order, "stock")
        warehouse = self.warehouse.display_name
        self.assertEqual(stock.result, "fail")
        self.assertFalse(stock.blocking, "a shortage goes to replenishment")
        self.assertEqual(
            stock.message,
            f"Only 50 of 60 Units of [T-CAB] Cabinet available in {warehouse}.\n"
            f"Only 0 of 10 Units of [T-LAMP] Lamp available in {warehouse}.",
        )
        # A warning does not block the approval.
        self._tick_manual_items(order)
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.state, "sale")

    def test_payment_terms_check(self):
        order = self._create_order(
            [(self.product_in_stock, 1)], user=self.receiver, payment_term_id=False
        )
        self._submit(order)
        line = self._line(order, "payment_terms")
        self.assertEqual(line.result, "fail")
        self.assertEqual(
            line.message, "No payment terms and no payment method are set."
        )
        order.with_user(self.receiver).payment_term_id = self.payment_terms
        self.assertEqual(line.result, "pass", "re-checked when the order changes")

    def test_credit_check(self):
        self.assertEqual(
            self._line(
                self._submit(
                    self._create_order([(self.product_in_stock, 1)], user=self.receiver)
                ),
                "credit",
            ).message,
            "The company does not use credit limits.",
        )
        self.company.account_use_credit_limit = True
        self.customer.credit_limit = 150.0
        order = self._submit(
            self._create_order([(self.product_in_stock, 2)], user=self.receiver)
        )
        line = self._line(order, "credit")
        self.assertEqual(line.result, "fail")
        self.assertTrue(order.partner_credit_warning, "core Sales warns too")
        currency = self.company.currency_id
        self.assertEqual(
            line.message,
            "Hangzhou Xinyu Electronics is over its credit limit of "
            f"{formatLang(self.env, 150, currency_obj=currency)}: "
            f"{formatLang(self.env, 200, currency_obj=currency)} is due with this "
            "order.",
        )
        self.customer.credit_limit = 10000.0
        order.with_user(self.receiver).action_review_refresh()
        self.assertEqual(line.result, "pass")
        self.assertEqual(
            line.message, "The order is within the customer's credit limit."
        )

    def test_discount_and_pricelist_checks(self):
        order = self._create_order(
            [(self.product_in_stock, 1), (self.product_no_stock, 1)], user=self.receiver
        )
        order.order_line[0].discount = 35
        order.order_line[1].price_unit = 50
        self._submit(order)
        discount = self._line(order, "discount")
        self.assertEqual(discount.result, "fail")
        self.assertEqual(
            discount.message,
            "Line [T-CAB] Cabinet: discount 35% is above the 20% allowed.",
        )
        price = self._line(order, "pricelist_price")
        self.assertEqual(price.result, "fail")
        self.assertEqual(
            price.message,
            "Line [T-LAMP] Lamp: unit price 50 is below the pricelist price 100 "
            "(more than 20% off).",
        )
        order.order_line[0].with_user(self.receiver).discount = 20
        order.order_line[1].with_user(self.receiver).price_unit = 85
        self.assertEqual(discount.result, "pass")
        self.assertEqual(discount.message, "No discount above 20%.")
        self.assertEqual(price.result, "pass")

    def test_manual_item_ticked_by_reviewer(self):
        order = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        manual = self._line(order, "manual")
        self.assertEqual(manual.result, "pending")
        self.assertFalse(manual.with_user(self.receiver).can_mark_pass)
        with self.assertRaises(AccessError):
            manual.with_user(self.receiver).action_mark_pass()
        self.assertTrue(manual.with_user(self.reviewer).can_mark_pass)
        self.assertIs(manual.with_user(self.reviewer).action_mark_pass(), True)
        self.assertEqual(manual.result, "pass")
        self.assertEqual(manual.checked_by_id, self.reviewer)
        self.assertEqual(manual.checked_by_label, self.reviewer.name)
        self.assertTrue(manual.checked_date)
        with self.assertRefused(UserError, "checked by the system"):
            self._line(order, "stock").with_user(self.reviewer).action_mark_pass()

    def test_review_state_changes_only_through_the_procedure(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        with self.assertRefused(AccessError, "changes only through"):
            order.with_user(self.receiver).write({"review_state": "approved"})
        self.assertEqual(order.review_state, "draft")

    def test_submission_queries_do_not_grow_with_lines(self):
        products = self.env["product.product"].create(
            [
                {"name": f"Part {i}", "type": "consu", "is_storable": True}
                for i in range(50)
            ]
        )
        # The same reviewer gets every activity: the team leader.
        team = self.env["crm.team"].create(
            {"name": "Key Accounts", "user_id": self.reviewer.id}
        )
        warm_up, small, large = (
            self._create_order(
                [(p, 1) for p in products[:count]], user=self.receiver, team_id=team.id
            )
            for count in (5, 10, 50)
        )
        self._submit(warm_up)
        counts = []
        for order in (small, large):
            self.env.invalidate_all()
            with self.assertQueryCount(QUERIES_TO_SUBMIT):
                start = self.cr.sql_log_count
                order.with_user(self.receiver).action_submit_review()
                self.env.flush_all()
                counts.append(self.cr.sql_log_count - start)
            self.assertEqual(order.review_state, "to_review")
            self.assertEqual(order.activity_ids.user_id, self.reviewer)
        self.assertLessEqual(counts[1], counts[0], "50 lines cost no more than 10")


@tagged("post_install", "-at_install")
class TestReviewDecision(OrderProcedureCase):
    def test_approval_confirms_the_order(self):
        order = self._create_order([(self.product_in_stock, 3)], user=self.receiver)
        self._submit(order)
        self._tick_manual_items(order)
        self.assertIs(order.with_user(self.reviewer).action_review_approve(), True)
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(order.review_user_id, self.reviewer)
        self.assertTrue(order.review_date)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.picking_ids.picking_type_code, "outgoing")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        self.assertFalse(order.activity_ids, "the review activity is done")

    def test_an_approval_leaves_no_approval_behind(self):
        """The approval's values wait on the cursor only for its own
        confirmation: after it, the marker of an approval's confirmation
        (which only the addon's code holds) approves no other order."""
        approved = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        self._tick_manual_items(approved)
        waiting = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        approved.with_user(self.reviewer).action_review_approve()
        self.assertEqual(approved.state, "sale")
        with self.assertRefused(UserError, "must be approved in review"):
            waiting.with_user(self.reviewer).with_context(
                order_review_approval=APPROVING
            ).action_confirm()
        self.assertEqual(waiting.state, "draft")
        self.assertEqual(waiting.review_state, "to_review")

    def _review_done_message(self, order):
        activity_type = self.env.ref(
            "order_mgmt_procedure.mail_activity_type_order_review"
        )
        return order.message_ids.filtered(
            lambda m: m.mail_activity_type_id == activity_type
        )

    def test_reviewer_follows_the_order_given_to_them(self):
        """The reviewer of a submitted order follows it with an employee's
        default subtypes, as Odoo makes an activity's assignee follow; one
        already following keeps their own subscription."""
        order = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        reviewer = order.activity_ids.user_id
        follower = order.message_follower_ids.filtered(
            lambda f: f.partner_id == reviewer.partner_id
        )
        self.assertEqual(len(follower), 1)
        default = self.env["mail.message.subtype"].default_subtypes("sale.order")[0]
        self.assertEqual(follower.subtype_ids, default)
        self.assertIn(reviewer.partner_id, order.message_partner_ids)

        again = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        again.message_subscribe(
            partner_ids=reviewer.partner_id.ids,
            subtype_ids=self.env.ref("mail.mt_comment").ids,
        )
        self._submit(again)
        self.assertEqual(again.activity_ids.user_id, reviewer)
        follower = again.message_follower_ids.filtered(
            lambda f: f.partner_id == reviewer.partner_id
        )
        self.assertEqual(follower.subtype_ids, self.env.ref("mail.mt_comment"))

    def _ready_for_the_team_leader(self, count):
        """``count`` orders submitted and ticked, all given to one reviewer:
        the leader of their sales team."""
        team = self.env["crm.team"].create(
            {"name": "Key Accounts", "user_id": self.reviewer.id}
        )
        orders = self.env["sale.order"]
        for __ in range(count):
            order = self._create_order(
                [(self.product_in_stock, 1)], user=self.receiver, team_id=team.id
            )
            self._submit(order)
            self._tick_manual_items(order)
            orders |= order
        return orders

    def test_approval_marks_the_review_activity_done(self):
        """The review activity is archived with the approval as feedback and
        its done message is Odoo's: the same body, type and author as
        Odoo's own Mark Done, which is used when someone follows the order's
        activities (and is told)."""
        orders = self._ready_for_the_team_leader(2)
        odoo_path = orders[1]
        # The manager follows the second order's activities: Odoo's path.
        odoo_path.message_subscribe(
            partner_ids=self.manager.partner_id.ids,
            subtype_ids=self.env.ref("mail.mt_activities").ids,
        )
        activities = orders.activity_ids
        orders.with_user(self.reviewer).action_review_approve()

        self.assertFalse(orders.activity_ids)
        for activity in activities.with_context(active_test=False):
            self.assertFalse(activity.active)
            self.assertEqual(activity.feedback, "Approved")
            self.assertEqual(activity.date_done, fields.Date.today())
        messages = [self._review_done_message(order) for order in orders]
        self.assertEqual([len(m) for m in messages], [1, 1])
        done, odoo_done = messages
        for name in ("body", "message_type", "subtype_id", "author_id", "model"):
            self.assertEqual(done[name], odoo_done[name], name)
        self.assertEqual(done.subtype_id, self.env.ref("mail.mt_activities"))
        self.assertEqual(done.author_id, self.reviewer.partner_id)
        self.assertIn("Order Review", str(done.body))
        self.assertIn("Approved", str(done.body))
        self.assertFalse(done.notified_partner_ids)
        self.assertEqual(odoo_done.notified_partner_ids, self.manager.partner_id)

    def test_file_of_a_review_activity_goes_to_its_done_message(self):
        """A file attached to the review activity takes Odoo's own Mark Done,
        which moves it to the done message."""
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self._submit(order)
        self._tick_manual_items(order)
        activity = order.activity_ids
        attachment = self.env["ir.attachment"].create(
            {
                "name": "customer-specification.pdf",
                "raw": b"%PDF-1.4 specification",
                "res_model": "mail.activity",
                "res_id": activity.id,
            }
        )
        order.with_user(self.reviewer).action_review_approve()
        self.assertFalse(order.activity_ids)
        done = self._review_done_message(order)
        self.assertEqual(len(done), 1)
        self.assertEqual(done.attachment_ids, attachment)
        self.assertIn("Approved", str(done.body))

    def test_one_approval_of_orders_with_and_without_a_file(self):
        """Approved in one call: the order whose activity carries a file
        takes Odoo's Mark Done (the file moved to its message), the other
        the logged done message, and an order whose activity was deleted is
        approved all the same."""
        orders = self._ready_for_the_team_leader(3)
        with_file, plain, without_activity = orders
        attachment = self.env["ir.attachment"].create(
            {
                "name": "drawing.pdf",
                "raw": b"%PDF-1.4 drawing",
                "res_model": "mail.activity",
                "res_id": with_file.activity_ids.id,
            }
        )
        without_activity.activity_ids.unlink()
        orders.with_user(self.reviewer).action_review_approve()

        self.assertEqual(set(orders.mapped("state")), {"sale"})
        self.assertFalse(orders.activity_ids)
        moved = self._review_done_message(with_file)
        self.assertEqual(moved.attachment_ids, attachment)
        logged = self._review_done_message(plain)
        self.assertEqual(len(logged), 1)
        self.assertFalse(logged.attachment_ids)
        self.assertEqual(logged.body, moved.body)
        self.assertFalse(self._review_done_message(without_activity))

    def test_approval_blocked_by_failing_items(self):
        self.env.ref("order_mgmt_procedure.review_rule_payment_terms").blocking = True
        order = self._create_order(
            [(self.product_in_stock, 1)], user=self.receiver, payment_term_id=False
        )
        order.order_line.discount = 50
        self._submit(order)
        with self.assertRaises(UserError) as caught:
            order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(
            caught.exception.args[0],
            "The review cannot be approved:\n"
            f"- {order.name}: Payment terms or method agreed - No payment terms and no "
            "payment method are set.\n"
            f"- {order.name}: Discounts within the rules - Line [T-CAB] Cabinet: "
            "discount 50% is above the 20% allowed.\n"
            f"- {order.name}: Specifications confirmed with the customer - not "
            "checked yet",
        )
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.review_state, "to_review")

    def test_segregation_of_duties(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.reviewer)
        self._submit(order, user=self.reviewer)
        self._tick_manual_items(order)
        with self.assertRefused(UserError, "you created this order"):
            order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.state, "draft")
        other_reviewer = new_test_user(
            self.env, "omp_reviewer2", "order_mgmt_procedure.group_order_reviewer"
        )
        self.assertNotEqual(order.activity_ids.user_id, self.reviewer)
        order.with_user(other_reviewer).action_review_approve()
        self.assertEqual(order.state, "sale")

        self.company.order_reviewer_not_creator = False
        own = self._create_order([(self.product_in_stock, 1)], user=self.reviewer)
        self._submit(own, user=self.reviewer)
        self._tick_manual_items(own)
        own.with_user(self.reviewer).action_review_approve()
        self.assertEqual(own.state, "sale")

    def test_receiver_cannot_approve_or_return(self):
        order = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        self.assertFalse(order.with_user(self.receiver).can_review)
        self.assertTrue(order.with_user(self.reviewer).can_review)
        with self.assertRefused(AccessError, "Only order reviewers may approve"):
            order.with_user(self.receiver).action_review_approve()
        with self.assertRaises(AccessError):
            order.with_user(self.receiver).action_review_return()
        self.assertEqual(order.review_state, "to_review")

    def test_only_orders_in_review_are_approved(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        with self.assertRefused(UserError, "Only orders in review can be approved"):
            order.with_user(self.reviewer).action_review_approve()

    def test_return_for_revision_and_resubmit(self):
        order = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        self._tick_manual_items(order)
        action = order.with_user(self.reviewer).action_review_return()
        self.assertEqual(action["res_model"], "order.review.return.wizard")
        Wizard = self.env["order.review.return.wizard"].with_user(self.reviewer)

        wizard = Wizard.with_context(**action["context"]).create({"reason": "   "})
        with self.assertRefused(UserError, "Say why the order is returned"):
            wizard.action_return()
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            Wizard.create({"order_id": order.id})
        self.assertEqual(order.review_state, "to_review")

        reason = "The 120 cm desk is discontinued; please choose the 140 cm model."
        with Form(Wizard.with_context(**action["context"])) as form:
            form.reason = reason
        result = form.record.action_return()
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertEqual(order.review_state, "returned")
        self.assertEqual(order.procedure_stage, "returned")
        self.assertEqual(order.review_return_reason, reason)

        mail = order.message_ids.filtered(
            lambda m: (
                self.customer.partner_id in m.partner_ids
                if hasattr(self.customer, "partner_id")
                else self.customer in m.partner_ids
            )
        )
        self.assertEqual(len(mail), 1, "the customer is e-mailed")
        self.assertIn(reason, mail.body)
        self.assertIn(order.name, mail.subject)
        self.assertTrue(
            self.env["mail.mail"].search([("mail_message_id", "=", mail.id)])
        )

        # The receiver revises and resubmits; the checklist starts fresh.
        order.with_user(self.receiver).order_line.product_uom_qty = 2
        self._submit(order)
        self.assertEqual(order.review_state, "to_review")
        self.assertFalse(order.review_return_reason)
        self.assertEqual(self._manual(order).result, "pending")

    def _manual(self, order):
        return order.review_line_ids.filtered(lambda ln: ln.check_type == "manual")

    def test_confirm_guard(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        with self.assertRefused(
            UserError, "must be approved in review before confirmation"
        ):
            order.with_user(self.reviewer).action_confirm()
        self.assertEqual(order.state, "draft")

        self.company.order_review_required = False
        order.with_user(self.reviewer).action_confirm()
        self.assertEqual(order.state, "sale")

    def _pay_online(self, order):
        """The customer pays the quotation online in full: a payment
        transaction done, which Odoo's payment confirms the order with."""
        method = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create(
            {
                "name": "Test Provider",
                "code": "none",
                "state": "test",
                "payment_method_ids": [(6, 0, method.ids)],
            }
        )
        method.active = True
        transaction = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": order.partner_id.id,
                "reference": f"{order.name}-paid",
                "operation": "online_redirect",
                "sale_order_ids": [(6, 0, order.ids)],
            }
        )
        transaction._set_done()
        return transaction._check_amount_and_confirm_order()

    def test_paid_online_is_confirmed_and_reviewed_after(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self.assertEqual(self._pay_online(order), order)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.review_state, "to_review")
        self.assertTrue(order.review_line_ids)
        self.assertTrue(
            order.message_ids.filtered(lambda m: "before review" in m.body),
            "the reviewers are told it was confirmed before review",
        )
        self._tick_manual_items(order)
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(len(order.picking_ids), 1)

    def test_customer_acceptance_goes_to_review(self):
        portal = new_test_user(self.env, "omp_portal_buyer", "base.group_portal")
        order = self._create_order(
            [(self.product_in_stock, 1)], partner_id=portal.partner_id.id
        )
        order.with_user(portal).sudo().action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.review_state, "to_review")
        self.assertEqual(order.procedure_stage, "in_review")

    def test_reviewed_order_reaches_processing(self):
        order = self._create_reviewed_order([(self.product_no_stock, 1)])
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")
        failed = order.review_line_ids.filtered(lambda ln: ln.result != "pass")
        self.assertEqual(failed.mapped("check_type"), ["stock"])


@tagged("post_install", "-at_install")
class TestReviewHooks(OrderProcedureCase):
    """An integrator changes the review by overriding a small method."""

    def test_prepare_review_line_vals_override(self):
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder._prepare_review_line_vals

        def without_manual_items(orders, rules):
            return original(orders, rules.filtered(lambda r: r.check_type != "manual"))

        with patch.object(SaleOrder, "_prepare_review_line_vals", without_manual_items):
            order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
            self._submit(order)
        self.assertTrue(order.review_line_ids)
        self.assertNotIn("manual", order.review_line_ids.mapped("check_type"))
        # Nothing left for the reviewer to tick: the approval confirms at once.
        order.with_user(self.reviewer).action_review_approve()
        self.assertEqual(order.state, "sale")

    def test_review_trigger_fields_override(self):
        order = self._submit(
            self._create_order([(self.product_no_stock, 3)], user=self.receiver)
        )
        stock_line = order.review_line_ids.filtered(lambda ln: ln.check_type == "stock")
        self.assertEqual(stock_line.result, "fail")
        self.env["stock.quant"]._update_available_quantity(
            self.product_no_stock, self.stock_location, 10
        )
        self.env.invalidate_all()  # a new request reads the new stock
        order.with_user(self.receiver).client_order_ref = "PO-1"
        self.assertEqual(stock_line.result, "fail", "not a reviewed field by default")

        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder._get_review_trigger_fields

        def with_customer_reference(orders):
            return original(orders) | {"client_order_ref"}

        with patch.object(
            SaleOrder, "_get_review_trigger_fields", with_customer_reference
        ):
            order.with_user(self.receiver).client_order_ref = "PO-2"
        self.assertEqual(stock_line.result, "pass")


@tagged("post_install", "-at_install")
class TestReviewScreen(OrderProcedureCase):
    """The order form's review: the checklist, Approve and the alerts, as
    each role's form shows them."""

    def _form_arch(self, user):
        view = self.env.ref("sale.view_order_form")
        arch = self.env["sale.order"].with_user(user).get_view(view.id)["arch"]
        return etree.fromstring(arch)

    def _shown(self, node, order):
        """Whether the form shows ``node`` for ``order`` as read by the
        order's user: its ``invisible`` evaluated on the record's values."""
        expression = node.get("invisible")
        if not expression:
            return True
        names = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", expression))
        values = {name: order[name] for name in names & set(order._fields)}
        return not safe_eval(expression, values)

    def _approve_buttons(self, order, user):
        arch = self._form_arch(user)
        return [
            button
            for button in arch.xpath("//header/button[@name='action_review_approve']")
            if self._shown(button, order.with_user(user))
        ]

    def _alerts(self, order, user):
        arch = self._form_arch(user)
        return {
            "danger": [
                "".join(div.itertext()).strip()
                for div in arch.xpath("//div[hasclass('alert-danger')]")
                if self._shown(div, order.with_user(user))
                and div.xpath(".//field[@name='review_to_act_count']")
            ],
            "info": [
                "".join(div.itertext()).strip()
                for div in arch.xpath("//div[hasclass('alert-info')]")
                if self._shown(div, order.with_user(user))
            ],
        }

    def _submitted(self, **values):
        return self._submit(
            self._create_order(
                [(self.product_in_stock, 1)], user=self.receiver, **values
            )
        )

    def test_checklist_button_beside_the_message(self):
        """Mark as Checked right after the message, the check and its message
        sharing the room left by the narrow columns, few columns shown:
        nothing to scroll to."""
        arch = self._form_arch(self.reviewer)
        checklist = arch.xpath("//field[@name='review_line_ids']/list")[0]
        shown = [
            node.get("name")
            for node in checklist
            if node.tag in ("field", "button")
            and node.get("column_invisible") not in ("True", "1")
            and node.get("optional") != "hide"
        ]
        self.assertEqual(
            shown,
            [
                "rule_id",
                "result",
                "message",
                "action_mark_pass",
                "blocking",
                "checked_by_label",
            ],
        )
        message = checklist.xpath("field[@name='message']")[0]
        self.assertFalse(message.get("width"), "the message takes the room left")
        hidden = checklist.xpath("field[@optional='hide']/@name")
        self.assertIn("checked_date", hidden)

    def test_automatic_checks_are_checked_by_the_system(self):
        order = self._submitted()
        automatic = order.review_line_ids.filtered(lambda ln: ln.check_type != "manual")
        self.assertFalse(automatic.checked_by_id, "no user checked them")
        self.assertEqual(set(automatic.mapped("checked_by_label")), {"Automatic"})
        self.assertTrue(all(automatic.mapped("checked_date")))
        # The re-check of the approval runs them again: still the system.
        self._tick_manual_items(order)
        order.with_user(self.reviewer).action_review_approve()
        self.assertFalse(automatic.checked_by_id)
        self.assertEqual(set(automatic.mapped("checked_by_label")), {"Automatic"})
        manual = order.review_line_ids - automatic
        self.assertEqual(manual.checked_by_id, self.reviewer)
        self.assertEqual(manual.checked_by_label, self.reviewer.name)

    def test_approve_refuses_pending_items_before_its_confirmation(self):
        order = self._submitted()
        self.assertFalse(order.with_user(self.reviewer).review_ready_to_approve)
        buttons = self._approve_buttons(order, self.reviewer)
        self.assertEqual(len(buttons), 1)
        self.assertFalse(
            buttons[0].get("confirm"), "no confirmation before the refusal"
        )
        context = safe_eval(buttons[0].get("context") or "{}")
        with self.assertRefused(UserError, "Specifications confirmed with the"):
            order.with_user(self.reviewer).with_context(
                **context
            ).action_review_approve()
        self.assertEqual(order.review_state, "to_review")

        # Nothing stops the approval: the confirmation is asked.
        self._tick_manual_items(order)
        self.assertTrue(order.with_user(self.reviewer).review_ready_to_approve)
        buttons = self._approve_buttons(order, self.reviewer)
        self.assertEqual(len(buttons), 1)
        self.assertEqual(
            buttons[0].get("confirm"), "Approving confirms the order. Continue?"
        )
        # The form opened before the tick: its Approve finds nothing left to
        # refuse, and asks for the confirmation rather than confirming.
        result = (
            order.with_user(self.reviewer)
            .with_context(**context)
            .action_review_approve()
        )
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(order.review_state, "to_review")
        self.assertEqual(order.state, "draft")
        self.assertIs(order.with_user(self.reviewer).action_review_approve(), True)
        self.assertEqual(order.state, "sale")

    def test_own_order_is_not_ready_to_approve(self):
        order = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.reviewer),
            user=self.reviewer,
        )
        self._tick_manual_items(order)
        self.assertFalse(order.with_user(self.reviewer).review_ready_to_approve)
        with self.assertRefused(UserError, "you created this order"):
            order.with_user(self.reviewer).with_context(
                order_review_check_only=True
            ).action_review_approve()

    def test_receiver_is_told_what_waits_for_the_reviewer(self):
        order = self._submitted()
        as_receiver = order.with_user(self.receiver)
        self.assertEqual(as_receiver.review_to_act_count, 0)
        self.assertEqual(
            as_receiver.review_waiting_items,
            "Specifications confirmed with the customer",
        )
        alerts = self._alerts(order, self.receiver)
        self.assertEqual(alerts["danger"], [], "nothing the receiver can do")
        self.assertEqual(len(alerts["info"]), 1)
        self.assertIn("Waiting for the reviewer:", alerts["info"][0])

        # The reviewer, who ticks it, is alerted.
        as_reviewer = order.with_user(self.reviewer)
        self.assertEqual(as_reviewer.review_to_act_count, 1)
        self.assertFalse(as_reviewer.review_waiting_items)
        alerts = self._alerts(order, self.reviewer)
        self.assertEqual(len(alerts["danger"]), 1)
        self.assertEqual(alerts["info"], [])

        self._tick_manual_items(order)
        self.assertFalse(as_receiver.review_waiting_items)
        self.assertEqual(self._alerts(order, self.receiver)["info"], [])

    def test_receiver_alerted_for_what_they_can_fix(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        order.order_line.discount = 50
        self._submit(order)
        as_receiver = order.with_user(self.receiver)
        self.assertEqual(as_receiver.review_to_act_count, 1, "the discount")
        self.assertEqual(
            as_receiver.review_waiting_items,
            "Specifications confirmed with the customer",
        )
        alerts = self._alerts(order, self.receiver)
        self.assertEqual(len(alerts["danger"]), 1)
        self.assertEqual(len(alerts["info"]), 1)
        self.assertEqual(order.with_user(self.reviewer).review_to_act_count, 2)
