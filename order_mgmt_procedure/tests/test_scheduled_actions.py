"""The scheduled actions run by Odoo's scheduler (as *Run Manually* does: a
cursor of its own, a progress record per call): each batch committed with the
progress shown on the scheduled action, a run whose time is up resumed by the
next one without redoing what it committed, the same queries for each batch."""

from contextlib import ExitStack, contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.base.models import ir_cron

from .common import OrderProcedureCase
from .test_performance import (
    QUERIES_TO_CLOSE_A_BATCH_OF_WINDOWS,
    QUERIES_TO_FLAG_A_BATCH_OF_OVERDUE_RETURNS,
)

# What the scheduler adds to a batch: the progress read and written, the
# commit, and what the batch reads again after it (the commit empties the
# caches, so that memory stays flat).
QUERIES_TO_COMMIT_A_BATCH = 8
# One batch of the stock re-check of orders still short (nothing more to ask):
# a product asked for once a pass, its forecast not summed again each batch.
QUERIES_TO_RECHECK_A_BATCH_OF_STOCK = 15

CLOSE_WINDOWS = "order_mgmt_procedure.ir_cron_close_after_sales_windows"
FLAG_OVERDUE = "order_mgmt_procedure.ir_cron_flag_overdue_returns"
CHECK_STOCK = "order_mgmt_procedure.ir_cron_check_stock"


@tagged("post_install", "-at_install")
class TestScheduledActionBatches(OrderProcedureCase):
    @contextmanager
    def _time_up(self):
        """The scheduler's time for the run already spent: the action stops
        after its first batch, as a run cut by its time limit, and the
        scheduler calls it only once."""
        with (
            patch.object(ir_cron, "MIN_RUNS_PER_JOB", 1),
            patch.object(ir_cron, "MIN_TIME_PER_JOB", 0),
        ):
            yield

    def _run(self, xmlid, batch_size, time_up=False):
        """Run the scheduled action ``xmlid`` through the scheduler in
        batches of ``batch_size``; return the progress records of the run and
        its queries."""
        cron = self.env.ref(xmlid)
        method = cron.code.split("(")[0]
        cron.code = f"{method}(batch_size={batch_size})"
        Progress = self.env["ir.cron.progress"]
        before = Progress.search([("cron_id", "=", cron.id)]).ids
        with ExitStack() as stack:
            if time_up:
                stack.enter_context(self._time_up())
            stack.enter_context(self.enter_registry_test_mode())
            queries = self.env.cr.sql_log_count
            cron.method_direct_trigger()
            queries = self.env.cr.sql_log_count - queries
        progress = Progress.search(
            [("cron_id", "=", cron.id), ("id", "not in", before)], order="id"
        )
        return progress, queries

    @contextmanager
    def _statements(self):
        """The SQL statements run meanwhile, as Odoo's assertQueries sees
        them (the scheduler's cursor included, in test mode)."""
        statements = []
        with contextmanager(self._patchExecute)(statements, flush=False):
            yield statements

    def _matching(self, statements, start, *parts):
        """The statements that start with ``start`` and contain each of
        ``parts``."""
        return [
            code
            for code in statements
            if code.lstrip().startswith(start) and all(part in code for part in parts)
        ]

    def _counted(self, statements, table):
        return [
            code
            for code in statements
            if "COUNT(" in code.upper() and f'FROM "{table}"' in code
        ]

    def _triggers(self, xmlid):
        return self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.env.ref(xmlid).id)]
        )

    def test_batches_read_by_index(self):
        """Each scheduled action's batch is read from an index in the order
        of its batches, whatever the number of records before it."""
        expected = {
            "sale_order_after_sales_open_idx": (
                "(after_sales_deadline, id) WHERE (after_sales_closed IS NOT TRUE)"
            ),
            "sale_order_awaiting_replenishment_idx": (
                "(id) WHERE ((procedure_stage)::text = 'awaiting_replenishment'"
            ),
            "order_return_request_open_id_idx": "(id) WHERE ((state)::text = ANY",
        }
        self.env.cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN %s",
            [tuple(expected)],
        )
        found = dict(self.env.cr.fetchall())
        for name, definition in expected.items():
            self.assertIn(definition, found.get(name, ""), name)

    # === AFTER-SALES WINDOWS === #

    def _ended_windows(self, count):
        # What the database had to close is closed first.
        self.env["sale.order"]._cron_close_after_sales_windows()
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
        orders.write({"completed_date": fields.Datetime.now() - timedelta(days=60)})
        self.assertTrue(
            all(d < fields.Date.today() for d in orders.mapped("after_sales_deadline"))
        )
        return orders

    def _closing_notes(self, order):
        return order.message_ids.filtered(
            lambda m: "After-sales window closed" in (m.body or "")
        )

    def test_windows_closed_with_progress(self):
        orders = self._ended_windows(5)
        progress, __ = self._run(CLOSE_WINDOWS, batch_size=2)
        self.assertEqual(len(progress), 1, "one call did every batch")
        self.assertEqual((progress.done, progress.remaining), (5, 0))
        self.assertTrue(all(orders.mapped("after_sales_closed")))

    def test_windows_closed_in_one_update_a_batch(self):
        """The closing is one statement a batch, not Odoo's write (which
        runs every module's write override on the batch's orders): the
        orders written by the scheduled action's user, and read back closed."""
        orders = self._ended_windows(3)
        with self._statements() as statements:
            progress, __ = self._run(CLOSE_WINDOWS, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        updates = self._matching(statements, "UPDATE sale_order", "after_sales_closed")
        self.assertEqual(len(updates), 2, "one a batch")
        self.assertTrue(all(orders.mapped("after_sales_closed")))
        self.assertEqual(orders.write_uid, self.env.ref(CLOSE_WINDOWS).user_id)

    def test_windows_run_cut_resumes_without_redoing(self):
        orders = self._ended_windows(5)
        triggers = self._triggers(CLOSE_WINDOWS)
        progress, __ = self._run(CLOSE_WINDOWS, batch_size=2, time_up=True)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        self.assertEqual(orders.filtered("after_sales_closed"), orders[:2])
        self.assertTrue(
            self._triggers(CLOSE_WINDOWS) - triggers, "run again as soon as possible"
        )

        progress, __ = self._run(CLOSE_WINDOWS, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        self.assertTrue(all(orders.mapped("after_sales_closed")))
        for order in orders:
            self.assertEqual(len(self._closing_notes(order)), 1, "closed once")

    def test_progress_shown_on_the_scheduled_action(self):
        """The scheduled action's form shows what its backlog's runs did and
        what is left: the run cut by its time limit, then the one that went
        on with it."""
        self._ended_windows(5)
        cron = self.env.ref(CLOSE_WINDOWS)
        self._run(CLOSE_WINDOWS, batch_size=2, time_up=True)
        cron.invalidate_recordset()
        self.assertEqual((cron.progress_done, cron.progress_remaining), (2, 3))
        self.assertTrue(cron.progress_date)
        self._run(CLOSE_WINDOWS, batch_size=2)
        cron.invalidate_recordset()
        self.assertEqual((cron.progress_done, cron.progress_remaining), (5, 0))
        # A new backlog counts from its first run.
        self._ended_windows(1)
        self._run(CLOSE_WINDOWS, batch_size=2)
        cron.invalidate_recordset()
        self.assertEqual((cron.progress_done, cron.progress_remaining), (1, 0))
        view = self.env["ir.ui.view"].browse(
            cron.get_views([(False, "form")])["views"]["form"]["id"]
        )
        self.assertIn("progress_done", view.get_combined_arch())

    def test_windows_batches_go_on_from_the_last_order(self):
        """Each batch reads the open windows after the last order of the
        batch before, in the index's order: the windows it closed are not
        read again (PostgreSQL cannot clean them up while the run is open)."""
        self._ended_windows(5)
        with self._statements() as statements:
            progress, __ = self._run(CLOSE_WINDOWS, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (5, 0))
        searches = self._matching(
            statements,
            'SELECT "sale_order"."id" FROM "sale_order"',
            "after_sales_closed",
            "LIMIT",
        )
        self.assertEqual(len(searches), 3, searches)
        self.assertNotIn('"id") >', searches[0])
        for code in searches[1:]:
            self.assertIn(
                '("sale_order"."after_sales_deadline", "sale_order"."id") >', code
            )

    def test_windows_resumed_run_counts_nothing(self):
        """A run that goes on after a run cut by its time limit takes the
        backlog that run reported: the windows are not counted again."""
        self._ended_windows(5)
        with self._statements() as statements:
            progress, __ = self._run(CLOSE_WINDOWS, batch_size=2, time_up=True)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        self.assertEqual(len(self._counted(statements, "sale_order")), 1)
        with self._statements() as statements:
            progress, __ = self._run(CLOSE_WINDOWS, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        self.assertFalse(self._counted(statements, "sale_order"))

    def test_windows_same_queries_per_batch(self):
        orders = self._ended_windows(6)
        counts = []
        # The first run fills the registry caches; then 1, 2 and 3 batches.
        for open_orders in (2, 2, 4, 6):
            orders._write_procedure_facts({"after_sales_closed": True})
            orders[:open_orders]._write_procedure_facts({"after_sales_closed": False})
            __, queries = self._run(CLOSE_WINDOWS, batch_size=2)
            counts.append(queries)
        one, two, three = counts[1:]
        self.assertEqual(two - one, three - two, counts)
        self.assertLessEqual(
            two - one,
            QUERIES_TO_CLOSE_A_BATCH_OF_WINDOWS + QUERIES_TO_COMMIT_A_BATCH,
            counts,
        )

    # === OVERDUE RETURNS === #

    def _overdue_requests(self, count):
        Request = self.env["order.return.request"]
        # What the database had overdue is out of the way: the action reads
        # the overdue requests, flagged or not, in id order.
        Request.search([("is_overdue", "=", True)]).write(
            {"deadline": fields.Date.today()}
        )
        orders = self._ended_windows(count)
        requests = Request.create(
            [{"order_id": order.id, "reason": "Broken"} for order in orders]
        )
        requests.write(
            {
                "state": "approved",
                "approved_by_id": self.manager.id,
                "deadline": fields.Date.today() - timedelta(days=1),
            }
        )
        return requests

    def _overdue_activities(self, requests):
        overdue = self.env.ref("order_mgmt_procedure.mail_activity_type_return_overdue")
        return requests.activity_ids.filtered(lambda a: a.activity_type_id == overdue)

    def test_overdue_flagged_with_progress(self):
        requests = self._overdue_requests(5)
        self.manager.tz = "Asia/Shanghai"
        progress, __ = self._run(FLAG_OVERDUE, batch_size=2)
        self.assertEqual(len(progress), 1, "one call did every batch")
        self.assertEqual((progress.done, progress.remaining), (5, 0))
        activities = self._overdue_activities(requests)
        self.assertEqual(len(activities), 5)
        self.assertEqual(activities.user_id, self.manager)
        # What Odoo would compute for them, stored with their insert.
        self.assertEqual(
            sorted(activities.mapped("res_name")), sorted(requests.mapped("name"))
        )
        self.assertEqual(set(activities.mapped("user_tz")), {"Asia/Shanghai"})

    def test_overdue_run_cut_resumes_without_redoing(self):
        requests = self._overdue_requests(5)
        triggers = self._triggers(FLAG_OVERDUE)
        progress, __ = self._run(FLAG_OVERDUE, batch_size=2, time_up=True)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        self.assertEqual(
            self._overdue_activities(requests).mapped("res_id"), requests[:2].ids
        )
        self.assertTrue(self._triggers(FLAG_OVERDUE) - triggers)

        progress, __ = self._run(FLAG_OVERDUE, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        for request in requests:
            self.assertEqual(len(self._overdue_activities(request)), 1, "flagged once")

    def test_overdue_resumed_run_goes_on_from_its_position(self):
        """A run that goes on after a run cut by its time limit starts after
        the last request that run reached: neither the requests flagged
        before nor the backlog are searched again (the search of the first
        request without an activity reads every request flagged before it)."""
        requests = self._overdue_requests(5)
        with self._statements() as statements:
            progress, __ = self._run(FLAG_OVERDUE, batch_size=2, time_up=True)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        unflagged = [code for code in statements if "NOT EXISTS" in code]
        self.assertEqual(len(unflagged), 2, "the count and the first request")
        with self._statements() as statements:
            progress, __ = self._run(FLAG_OVERDUE, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        self.assertFalse([code for code in statements if "NOT EXISTS" in code])
        for request in requests:
            self.assertEqual(len(self._overdue_activities(request)), 1)

        # The pass over, the next run starts a new one: a request overdue
        # since, before the position the last pass reached, is flagged.
        self._overdue_activities(requests[0]).unlink()
        progress, __ = self._run(FLAG_OVERDUE, batch_size=2)
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertEqual(len(self._overdue_activities(requests[0])), 1)

    def test_overdue_same_queries_per_batch(self):
        requests = self._overdue_requests(8)
        counts = []
        # The first run fills the caches (each request flagged once); then
        # 2, 3 and 4 batches.
        for flagged in (8, 4, 6, 8):
            self._overdue_activities(requests).unlink()
            (requests - requests[:flagged]).write({"state": "done"})
            requests[:flagged].write({"state": "approved"})
            __, queries = self._run(FLAG_OVERDUE, batch_size=2)
            counts.append(queries)
            self.assertEqual(len(self._overdue_activities(requests)), flagged)
        two, three, four = counts[1:]
        self.assertEqual(three - two, four - three, counts)
        self.assertLessEqual(
            three - two,
            QUERIES_TO_FLAG_A_BATCH_OF_OVERDUE_RETURNS + QUERIES_TO_COMMIT_A_BATCH,
            counts,
        )

    # === STOCK RE-CHECK === #

    @contextmanager
    def _recording_checks(self):
        """The orders each call of the stock check was given, in order."""
        model_class = type(self.env["sale.order"])
        original = model_class._check_stock
        calls = []

        def record(orders, *args):
            calls.append(orders.ids)
            return original(orders, *args)

        with patch.object(model_class, "_check_stock", record):
            yield calls

    def _waiting_orders(self, count):
        orders = self.env["sale.order"].browse()
        for __ in range(count):
            orders |= self._create_reviewed_order([(self.product_no_stock, 2)])
        stages = {"awaiting_replenishment"} if count else set()
        self.assertEqual(set(orders.mapped("procedure_stage")), stages)
        waiting = self.env["sale.order"].search(
            [
                ("procedure_stage", "=", "awaiting_replenishment"),
                ("company_id.order_review_required", "=", True),
            ],
            order="id",
        )
        return orders, waiting

    def test_stock_recheck_resumes_where_it_stopped(self):
        orders, waiting = self._waiting_orders(5)
        with self._recording_checks() as calls:
            progress, __ = self._run(CHECK_STOCK, batch_size=2, time_up=True)
        self.assertEqual(calls, [waiting[:2].ids])
        self.assertEqual(progress.done, 2)
        self.assertEqual(progress.remaining, len(waiting) - 2)

        # The orders checked are still short: the next run goes on after them.
        with self._recording_checks() as calls:
            progress, __ = self._run(CHECK_STOCK, batch_size=2)
        checked = [order_id for batch in calls for order_id in batch]
        self.assertEqual(checked, waiting[2:].ids, "each order once in the pass")
        self.assertEqual((progress.done, progress.remaining), (len(waiting) - 2, 0))
        self.assertEqual(
            set(orders.mapped("procedure_stage")), {"awaiting_replenishment"}
        )

        # The pass over, the next run starts again from the first order.
        with self._recording_checks() as calls:
            progress, __ = self._run(CHECK_STOCK, batch_size=2)
        checked = [order_id for batch in calls for order_id in batch]
        self.assertEqual(checked, waiting.ids)
        self.assertEqual((progress.done, progress.remaining), (len(waiting), 0))

    def test_stock_recheck_resumed_run_asks_once_a_pass(self):
        """A run that goes on after a run cut by its time limit does not ask
        again for the products the pass asked for (their forecast, summed
        over every open move of the product, counted the later orders), nor
        count the backlog again; the next pass asks again."""
        orders, waiting = self._waiting_orders(5)
        # The cut run's batch ends with the first two new orders.
        batch_size = list(waiting).index(orders[1]) + 1
        model_class = type(self.env["sale.order"])
        original = model_class._get_replenishment_orderpoints
        asked = []

        def record(orders, moves):
            asked.append(self.product_no_stock in moves.product_id)
            return original(orders, moves)

        with patch.object(model_class, "_get_replenishment_orderpoints", record):
            with self._statements() as statements:
                self._run(CHECK_STOCK, batch_size=batch_size, time_up=True)
            self.assertEqual(asked.count(True), 1)
            self.assertEqual(len(self._counted(statements, "sale_order")), 1)
            with self._statements() as statements:
                progress, __ = self._run(CHECK_STOCK, batch_size=2)
            self.assertEqual(progress.remaining, 0)
            self.assertEqual(progress.done, 3)
            self.assertEqual(asked.count(True), 1, "asked once a pass")
            self.assertFalse(self._counted(statements, "sale_order"))
            # A new pass.
            self._run(CHECK_STOCK, batch_size=2)
            self.assertEqual(asked.count(True), 2)

    def test_stock_recheck_outside_the_scheduler_checks_all(self):
        __, waiting = self._waiting_orders(3)
        with self._recording_checks() as calls:
            self.env["sale.order"]._cron_check_stock(batch_size=2)
        checked = [order_id for batch in calls for order_id in batch]
        self.assertEqual(checked, waiting.ids)

    def test_stock_recheck_same_queries_per_batch(self):
        counts = []
        # The first run fills the registry caches; then 1, 2 and 3 batches:
        # two more orders waiting each time, each run a whole pass.
        for new_orders in (2, 0, 2, 2):
            self._waiting_orders(new_orders)
            progress, queries = self._run(CHECK_STOCK, batch_size=2)
            self.assertEqual(progress.remaining, 0)
            counts.append(queries)
        one, two, three = counts[1:]
        self.assertEqual(two - one, three - two, counts)
        self.assertLessEqual(two - one, QUERIES_TO_RECHECK_A_BATCH_OF_STOCK, counts)
