"""Query budgets of the procedure's hot paths: they must not grow with the
number of orders, lines or records a scheduled action works through.
Wall-time comparisons with plain Odoo are in scripts/benchmark."""

import logging
from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import tagged

from .common import OrderProcedureCase

# Stage of 500 confirmed orders with their deliveries.
QUERIES_TO_STAGE_500_ORDERS = 7
# Priority of 500 orders (rules, customers' grades, currencies).
QUERIES_TO_PRIORITIZE_500_ORDERS = 10
# What approving adds to Odoo's own confirmation of the same order: the
# lock, the checklist refreshed (the free stock in one query), the review
# state, the activity found and read in one query with the check that nobody
# follows the order's activities and no file is attached to it, archived and
# its done message logged.
QUERIES_APPROVAL_ADDS = 17
# One batch of a scheduled action, whatever its size.
QUERIES_TO_CLOSE_A_BATCH_OF_WINDOWS = 12
QUERIES_TO_FLAG_A_BATCH_OF_OVERDUE_RETURNS = 18
# Writing a field the procedure does not depend on, on 100 orders.
QUERIES_FOR_AN_UNRELATED_WRITE = 4
# Submitting one order for review (the registry's caches filled): the lock,
# the checklist inserted with its automatic results (the free stock in one
# query), the reviewers and their load in one query, the reviewer made a
# follower in one statement, the activity inserted whole, the stage and its
# history (one statement, the working calendar kept by the registry).
QUERIES_TO_SUBMIT_AN_ORDER = 10
# Ticking the manual items of the orders of one call: one note per order,
# logged in one insert, whatever the orders and items.
QUERIES_TO_TICK_MANUAL_ITEMS = 2
# What the procedure adds to Odoo's validation of deliveries (packing check
# on, packed before): the shipping e-mail is only queued, in the transfer's
# own update, whatever the deliveries of the call.
QUERIES_SHIPPING_ADDS = 0
# Validating one packed delivery of one line, the procedure on.
QUERIES_TO_VALIDATE_A_DELIVERY = 27
# Sending a batch of queued shipping e-mails, whatever its size.
QUERIES_TO_SEND_A_BATCH_OF_SHIPPING_EMAILS = 29


@tagged("post_install", "-at_install")
class TestQueryBudgets(OrderProcedureCase):
    def _confirmed_orders(self, count):
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "review_state": "approved",
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.product_in_stock.id,
                                "product_uom_qty": 0.01,
                            }
                        )
                    ],
                }
                for __ in range(count)
            ]
        )
        orders.action_confirm()
        return orders

    def test_stage_of_500_orders(self):
        orders = self._confirmed_orders(500)
        self.env.invalidate_all()
        with self.assertQueryCount(QUERIES_TO_STAGE_500_ORDERS):
            self._recompute(orders, "procedure_stage")
        self.assertEqual(set(orders.mapped("procedure_stage")), {"awaiting_shipment"})

    def test_priority_of_500_orders(self):
        key_account = self.env.ref("order_mgmt_procedure.partner_category_key_account")
        graded = self.env["res.partner"].create(
            {"name": "Ningbo Key Buyer", "category_id": [Command.link(key_account.id)]}
        )
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": (graded if i % 2 else self.customer).id,
                    "is_rush": not i % 7,
                    "order_line": [
                        Command.create({"product_id": self.product_in_stock.id})
                    ],
                }
                for i in range(500)
            ]
        )
        self.env.invalidate_all()
        with self.assertQueryCount(QUERIES_TO_PRIORITIZE_500_ORDERS):
            self._recompute(orders, "priority")
        urgent = orders.filtered(lambda o: o.priority == "1")
        self.assertEqual(len(urgent), 250 + len(range(0, 500, 14)))

    def test_approval_adds_the_same_queries_whatever_the_lines(self):
        """Approving = Odoo's confirmation + a bounded overhead that does not
        grow with the order's lines."""
        products = [self.product_in_stock] + [
            self._create_storable(f"Part {i}", f"T-PART-{i}", 100) for i in range(19)
        ]
        overheads = []
        # The first approval fills the registry caches; the next two count.
        for size in (2, 2, 20):
            lines = [(product, 1) for product in products[:size]]
            reviewed = self._create_order(lines, user=self.receiver)
            self._submit(reviewed)
            self._tick_manual_items(reviewed)
            plain = self._create_order(lines, review_state="approved")
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            plain.action_confirm()
            self.env.flush_all()
            confirm_queries = self.env.cr.sql_log_count - before
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            reviewed.with_user(self.reviewer).action_review_approve()
            self.env.flush_all()
            approve_queries = self.env.cr.sql_log_count - before
            self.assertEqual(reviewed.state, "sale")
            overheads.append(approve_queries - confirm_queries)
        overheads = overheads[1:]
        self.assertLessEqual(max(overheads), QUERIES_APPROVAL_ADDS, overheads)
        self.assertLessEqual(
            overheads[1], overheads[0] + 2, f"2 vs 20 lines: {overheads}"
        )

    def _completed_without_window(self, count):
        orders = self._confirmed_orders(count)
        orders.write({"completed_date": fields.Datetime.now() - timedelta(days=60)})
        self.assertTrue(
            all(d < fields.Date.today() for d in orders.mapped("after_sales_deadline"))
        )
        return orders

    def test_window_closing_works_in_batches(self):
        orders = self._completed_without_window(60)
        counts = []
        # One batch of 20 orders, one of 60, then the 60 in three batches.
        for open_orders, batch_size in ((20, 100), (60, 100), (60, 20)):
            orders.write({"after_sales_closed": True})
            orders[:open_orders].write({"after_sales_closed": False})
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            closed = self.env["sale.order"]._cron_close_after_sales_windows(
                batch_size=batch_size
            )
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(closed, open_orders)
            self.assertFalse(
                orders.filtered(lambda o: not o.after_sales_closed), "all closed"
            )
        one_batch, one_larger_batch, three_batches = counts
        self.assertLessEqual(one_batch, QUERIES_TO_CLOSE_A_BATCH_OF_WINDOWS)
        self.assertEqual(one_batch, one_larger_batch, "3 times the orders")
        self.assertLessEqual(three_batches, 3 * one_batch, counts)
        notes = orders[:20].message_ids.filtered(
            lambda m: "After-sales window closed" in (m.body or "")
        )
        self.assertEqual(len(notes), 20 * 3, "one note per order and closing")

    def test_window_closing_prepares_no_tracking(self):
        """The closing changes no tracked field: the batch's orders are not
        read for Odoo's tracking before the write, nor compared again at the
        commit (a tenth of a batch's time when the scheduler runs it)."""
        orders = self._completed_without_window(3)
        # The set-up's own tracking, done as at its commit.
        self.env.flush_all()
        self.env.cr.precommit.run()
        env = self.env(context=dict(self.env.context, tracking_disable=False))
        self.assertGreaterEqual(env["sale.order"]._cron_close_after_sales_windows(), 3)
        self.assertTrue(all(orders.mapped("after_sales_closed")))
        pending = self.env.cr.precommit.data.get("mail.tracking.sale.order") or {}
        self.assertFalse(set(orders.ids) & set(pending), "no tracking prepared")
        self.assertEqual(
            len(orders.message_ids.filtered(lambda m: m.tracking_value_ids)), 0
        )

    def test_nothing_depends_on_the_window_closing(self):
        """The scheduled action writes the closing in one statement, not by
        Odoo's write: right only while no field depends on the flag and it
        is not tracked."""
        field = self.env["sale.order"]._fields["after_sales_closed"]
        self.assertFalse(list(self.env.registry.get_dependent_fields(field)))
        self.assertFalse(getattr(field, "tracking", None))

    def test_overdue_flags_work_in_batches(self):
        orders = self._completed_without_window(60)
        requests = self.env["order.return.request"].create(
            [{"order_id": order.id, "reason": "Broken"} for order in orders]
        )
        requests.write(
            {
                "state": "approved",
                "approved_by_id": self.manager.id,
                "deadline": fields.Date.today() - timedelta(days=1),
            }
        )
        counts = []
        # The first (5 requests) fills the registry caches; then 15 and 40.
        for batch in (requests[:5], requests[5:20], requests[20:60]):
            (requests - batch).write({"state": "done"})
            batch.write({"state": "approved"})
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.env["order.return.request"]._cron_flag_overdue(batch_size=100)
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(len(batch.activity_ids), len(batch))
            self.assertEqual(batch.activity_ids.user_id, self.manager)
        self.assertLessEqual(counts[1], QUERIES_TO_FLAG_A_BATCH_OF_OVERDUE_RETURNS)
        self.assertEqual(counts[1], counts[2], "more requests, same queries")

    def test_unrelated_write_recomputes_nothing(self):
        orders = self._confirmed_orders(100)
        self.env.invalidate_all()
        with self.assertQueryCount(QUERIES_FOR_AN_UNRELATED_WRITE):
            orders.write({"client_order_ref": "PO-STABLE"})
            orders.flush_recordset()

    def _queries_on(self, table, function):
        """The SQL statements ``function`` runs that read ``table`` (from
        Odoo's query log)."""
        with self.assertLogs("odoo.sql_db", logging.DEBUG) as logs:
            # assertLogs fails on a silent block: one statement of our own.
            self.env.cr.execute("SELECT 1")
            function()
        return [line for line in logs.output if f'FROM "{table}"' in line]

    def test_rules_looked_up_once(self):
        """The priority and review rules are read once, then kept by the
        registry until a rule changes: creating a batch of orders, and each
        next order, does not search them again."""
        self.company.order_review_required = True
        self.env["order.priority.rule"].search([]).active = False
        rush = self.env["order.priority.rule"].create(
            {"name": "Rush", "rush_only": True, "priority": "1"}
        )
        lines = [(self.product_in_stock, 1)] * 3

        def create(count, **values):
            # Flushed: the priority is a stored field, computed at the flush.
            orders = self.env["sale.order"].create(
                [
                    {
                        "partner_id": self.customer.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": qty}
                            )
                            for product, qty in lines
                        ],
                        **values,
                    }
                    for __ in range(count)
                ]
            )
            orders.flush_recordset()
            return orders

        self.env.flush_all()
        # Nothing cached: one search for a batch of orders.
        self.env.registry.clear_cache()
        searches = self._queries_on("order_priority_rule", lambda: create(20))
        self.assertEqual(len(searches), 1, searches)
        # Then none for the next orders, or a change of an order.
        searches = self._queries_on("order_priority_rule", lambda: create(1))
        self.assertFalse(searches, "cached: no search for the next orders")
        order = self.env["sale.order"].search([], order="id desc", limit=1)
        searches = self._queries_on(
            "order_priority_rule",
            lambda: order.write({"is_rush": True}) or self.env.flush_all(),
        )
        self.assertFalse(searches, "cached: no search for the next change")
        self.assertEqual(order.priority, "1")
        # A rule changed: the orders follow it, the cache was emptied.
        rush.active = False
        self.env.flush_all()
        self.assertEqual(order.priority, "0", "the archived rule is not applied")
        searches = self._queries_on("order_priority_rule", lambda: create(5))
        self.assertFalse(searches, "looked up again by the change, then cached")
        # The review rules: the checklist's and the intake's lookups cached.
        order = self._create_order(lines, user=self.receiver)
        self._submit(self._create_order(lines, user=self.receiver))
        searches = self._queries_on("order_review_rule", lambda: self._submit(order))
        self.assertFalse(searches, searches)
        self.assertEqual(len(order.review_line_ids), 8)

    def test_stock_of_the_orders_of_one_call_read_once(self):
        """Submitting or re-checking several orders reads the free stock of
        all their products in one query, not one per order."""
        orders = self.env["sale.order"]
        for i in range(3):
            bolt = self._create_storable(f"Bolt {i}", f"T-BOLT-{i}", 10)
            orders |= self._create_order(
                [(self.product_in_stock, 1), (bolt, 20 if i == 2 else 1)],
                user=self.receiver,
            )
        self.env.flush_all()

        def stock_results():
            stock = orders.review_line_ids.filtered(lambda ln: ln.check_type == "stock")
            return stock.sorted(lambda ln: ln.order_id.id).mapped("result")

        reads = self._queries_on(
            "stock_quant", orders.with_user(self.receiver).action_submit_review
        )
        self.assertEqual(len(reads), 1, reads)
        self.assertEqual(stock_results(), ["pass", "pass", "fail"])
        short = orders[2].review_line_ids.filtered(lambda ln: ln.check_type == "stock")
        self.assertIn("Bolt 2", short.message)
        reads = self._queries_on(
            "stock_quant", orders.with_user(self.receiver).action_review_refresh
        )
        self.assertEqual(len(reads), 1, reads)
        self.assertEqual(stock_results(), ["pass", "pass", "fail"])

    def test_submit_of_one_order(self):
        lines = [(self.product_in_stock, 1), (self.service, 1)]
        # The first submission fills the registry's caches.
        self._submit(self._create_order(lines, user=self.receiver))
        order = self._create_order(lines, user=self.receiver)
        self.env.flush_all()
        with self.assertQueryCount(QUERIES_TO_SUBMIT_AN_ORDER):
            order.with_user(self.receiver).action_submit_review()
            self.env.flush_all()
        self.assertEqual(order.review_state, "to_review")
        self.assertEqual(len(order.activity_ids), 1)

    def test_ticking_many_items_costs_as_ticking_one(self):
        """One note per order, in one insert for the orders of the call: as
        many queries for three orders' items as for one item."""
        self.env["order.review.rule"].create(
            [{"name": f"Drawing {i} signed", "check_type": "manual"} for i in range(3)]
        )
        lines = [(self.product_in_stock, 1)]
        orders = self.env["sale.order"]
        for __ in range(5):
            orders |= self._submit(self._create_order(lines, user=self.receiver))
        self._tick_manual_items(orders[0])
        counts = []
        for batch in (orders[1], orders[2:]):
            manual = batch.review_line_ids.filtered(
                lambda ln: ln.check_type == "manual"
            )
            # One item of one order, then four items of each of three orders.
            manual = manual[:1] if len(batch) == 1 else manual
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            manual.with_user(self.reviewer).action_mark_pass()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
        self.assertLessEqual(counts[0], QUERIES_TO_TICK_MANUAL_ITEMS, counts)
        self.assertEqual(counts[0], counts[1], f"1 item vs 12 items: {counts}")
        for order in orders[2:]:
            notes = order.message_ids.filtered(lambda m: "Checked:" in (m.body or ""))
            self.assertEqual(len(notes), 1, "one note per order and call")
            self.assertIn("Drawing 2 signed", notes.body)
            self.assertIn("Specifications confirmed with the customer", notes.body)
            self.assertEqual(notes.author_id, self.reviewer.partner_id)
            self.assertTrue(notes.is_internal)

    def _deliveries(self, count):
        deliveries = self._confirmed_orders(count).picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"
        )
        for move in deliveries.move_ids:
            move.quantity = move.product_uom_qty
        deliveries.move_ids.picked = True
        return deliveries.with_user(self.warehouse_user)

    def _validation_queries(self, deliveries, packing_check):
        self.company.packing_check_required = packing_check
        if packing_check:
            deliveries.action_mark_packed()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        deliveries.with_context(skip_sms=True).button_validate()
        self.env.flush_all()
        self.assertEqual(set(deliveries.mapped("state")), {"done"})
        return self.env.cr.sql_log_count - before

    def test_validation_adds_nothing_to_odoos(self):
        """Validating with the packing check on costs Odoo's validation with
        the procedure off, one delivery or several in one call: the shipping
        e-mail is queued, not rendered."""
        # The first validation fills the registry caches.
        self._validation_queries(self._deliveries(1), True)
        for count in (1, 4):
            plain = self._validation_queries(self._deliveries(count), False)
            ours = self._validation_queries(self._deliveries(count), True)
            self.assertLessEqual(
                ours - plain, QUERIES_SHIPPING_ADDS, (count, ours, plain)
            )
        self.company.packing_check_required = True
        delivery = self._deliveries(1)
        delivery.action_mark_packed()
        self.env.flush_all()
        with self.assertQueryCount(QUERIES_TO_VALIDATE_A_DELIVERY):
            delivery.with_context(skip_sms=True).button_validate()
            self.env.flush_all()
        self.assertTrue(delivery.shipping_notice_pending)

    def test_shipping_emails_sent_in_batches(self):
        """The queued shipping e-mails are rendered and created per batch: as
        many queries for six as for two."""
        self.company.packing_check_required = True
        deliveries = self._deliveries(9)
        deliveries.action_mark_packed()
        deliveries.with_context(skip_sms=True).button_validate()
        Picking = self.env["stock.picking"]
        deliveries._write_procedure_facts({"shipping_notice_pending": False})
        counts = []
        for batch in (deliveries[:1], deliveries[1:3], deliveries[3:]):
            batch._write_procedure_facts({"shipping_notice_pending": True})
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.assertEqual(Picking._cron_send_shipping_notices(), len(batch))
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            for delivery in batch:
                self.assertTrue(
                    delivery.message_ids.filtered(
                        lambda m: "has shipped" in (m.subject or "")
                    )
                )
        counts = counts[1:]
        self.assertLessEqual(
            max(counts), QUERIES_TO_SEND_A_BATCH_OF_SHIPPING_EMAILS, counts
        )
        self.assertEqual(counts[0], counts[1], f"2 vs 6 e-mails: {counts}")
