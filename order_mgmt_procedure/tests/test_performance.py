"""Query budgets of the procedure's hot paths: they must not grow with the
number of orders, lines or records a scheduled action works through.
Wall-time comparisons with plain Odoo are in scripts/benchmark."""

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
# checklist refreshed, the review state, the activity closed.
QUERIES_APPROVAL_ADDS = 45
# One batch of a scheduled action, whatever its size.
QUERIES_TO_CLOSE_A_BATCH_OF_WINDOWS = 12
QUERIES_TO_FLAG_A_BATCH_OF_OVERDUE_RETURNS = 20
# Writing a field the procedure does not depend on, on 100 orders.
QUERIES_FOR_AN_UNRELATED_WRITE = 4


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
