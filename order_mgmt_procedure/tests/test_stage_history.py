from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import OrderProcedureCase

# Quotations submitted at once, from a cold cache. The stage: the orders and
# their pickings read, the orders' UPDATE (one per 100 orders). The history:
# one read of the orders' stored stage and open row, the company, its
# calendar, the calendar's attendances (two) and leaves for the review
# deadlines, one UPDATE closing the rows left and one INSERT of the rows
# entered: the same 8 queries for 50 orders or 500.
QUERIES_TO_STAGE_50_ORDERS = 11
QUERIES_TO_STAGE_500_ORDERS = 15


@tagged("post_install", "-at_install")
class TestStageHistory(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_office_calendar()
        cls.History = cls.env["sale.order.stage.history"]

    def _timeline(self, order):
        return [
            (row.stage, row.date_start, row.date_end) for row in order.stage_history_ids
        ]

    def _flush_as(self, user):
        """Store what ``user``'s action changed, as the end of their request
        does."""
        self.env(user=user).flush_all()

    def test_each_stage_change_is_one_row_with_who_made_it(self):
        with freeze_time(self.at(0, 9)):
            order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
            self._flush_as(self.receiver)
        with freeze_time(self.at(0, 10)):
            self._submit(order)
            self._tick_manual_items(order)
            self._flush_as(self.receiver)
        with freeze_time(self.at(0, 12, 30)):
            order.with_user(self.reviewer).action_review_approve()
            self._flush_as(self.reviewer)

        history = order.stage_history_ids
        self.assertEqual(
            history.mapped("stage"), ["received", "in_review", "awaiting_shipment"]
        )
        self.assertEqual(
            self._timeline(order),
            [
                ("received", self.at(0, 9), self.at(0, 10)),
                ("in_review", self.at(0, 10), self.at(0, 12, 30)),
                ("awaiting_shipment", self.at(0, 12, 30), False),
            ],
        )
        self.assertEqual(
            history.mapped("user_id"), self.receiver | self.receiver | self.reviewer
        )
        review = history[1]
        self.assertEqual(review.end_user_id, self.reviewer)
        self.assertAlmostEqual(review.duration_hours, 2.5)
        # 10:00-12:00 and 12:00-12:30 over lunch: two working hours.
        self.assertAlmostEqual(review.working_hours, 2.0)
        self.assertEqual(review.review_deadline, self.at(0, 15))
        self.assertEqual(history[-1].duration_hours, 0.0)

    def test_recompute_and_back_and_forth_write_nothing(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        self.env.flush_all()
        timeline = self._timeline(order)
        for __ in range(3):
            self.env.invalidate_all()
            self._recompute(order, "procedure_stage")
        self.assertEqual(self._timeline(order), timeline)

        # In review and back before anything was stored: no change happened.
        quotation = self._create_order([(self.product_in_stock, 1)])
        self.env.flush_all()
        quotation.review_state = "to_review"
        self.assertEqual(quotation.procedure_stage, "in_review")
        quotation.review_state = "draft"
        self.env.flush_all()
        self.assertEqual(quotation.stage_history_ids.mapped("stage"), ["received"])

    def test_one_open_stage_per_order(self):
        order = self._create_order([(self.product_in_stock, 1)])
        self.env.flush_all()
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.History.create(
                {
                    "order_id": order.id,
                    "stage": "in_review",
                    "date_start": self.at(0, 9),
                }
            )

    def test_durations_across_a_weekend_and_a_holiday(self):
        with freeze_time(self.at(4, 16)):  # Friday 16:00
            order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
            self._submit(order)
            self._tick_manual_items(order)
            self._flush_as(self.receiver)
        with freeze_time(self.at(7, 10)):  # Monday 10:00
            order.with_user(self.reviewer).action_review_approve()
            self._flush_as(self.reviewer)
        review = order.stage_history_ids.filtered(lambda h: h.stage == "in_review")
        self.assertEqual(
            (review.date_start, review.date_end), (self.at(4, 16), self.at(7, 10))
        )
        self.assertAlmostEqual(review.duration_hours, 66.0)
        # Friday 16:00-18:00 and Monday 9:00-10:00.
        self.assertAlmostEqual(review.working_hours, 3.0)
        # The 4-hour target: Friday 16:00-18:00, Monday 9:00-11:00.
        self.assertEqual(review.review_deadline, self.at(7, 11))

        # That Monday becomes a public holiday: the same stay is worth two
        # working hours, and the target moves to Tuesday.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Dragon Boat Festival",
                "calendar_id": self.office_calendar.id,
                "date_from": self.at(7, 0),
                "date_to": self.at(8, 0),
            }
        )
        same_stay = self.History.create(
            {
                "order_id": order.id,
                "stage": "in_review",
                "date_start": self.at(4, 16),
                "date_end": self.at(7, 10),
            }
        )
        self.assertAlmostEqual(same_stay.duration_hours, 66.0)
        self.assertAlmostEqual(same_stay.working_hours, 2.0)
        self.assertEqual(same_stay.review_deadline, self.at(8, 11))

    def test_only_public_holidays_forget_the_working_time_kept(self):
        # An employee's time off (approved every day) keeps the working time
        # the registry holds; a public holiday makes it read again.
        registry = self.env.registry
        employee = self.env["resource.resource"].create(
            {"name": "Wang Fang", "calendar_id": self.office_calendar.id}
        )
        registry.cache_invalidated.clear()
        leave = self.env["resource.calendar.leaves"].create(
            {
                "name": "Wang Fang's day off",
                "calendar_id": self.office_calendar.id,
                "resource_id": employee.id,
                "date_from": self.at(7, 0),
                "date_to": self.at(8, 0),
            }
        )
        leave.name = "Wang Fang's day off (moved)"
        leave.unlink()
        self.assertFalse(registry.cache_invalidated)
        holiday = self.env["resource.calendar.leaves"].create(
            {
                "name": "Mid-Autumn Festival",
                "calendar_id": self.office_calendar.id,
                "date_from": self.at(7, 0),
                "date_to": self.at(8, 0),
            }
        )
        self.assertIn("default", registry.cache_invalidated)
        registry.cache_invalidated.clear()
        holiday.resource_id = employee
        self.assertIn("default", registry.cache_invalidated, "was public")

    def test_company_without_calendar_counts_every_hour(self):
        self.company.resource_calendar_id = False
        order = self._create_order([(self.product_in_stock, 1)])
        stay = self.History.create(
            {
                "order_id": order.id,
                "stage": "in_review",
                "date_start": self.at(4, 16),
                "date_end": self.at(7, 10),
            }
        )
        self.assertAlmostEqual(stay.working_hours, 66.0)
        self.assertEqual(stay.review_deadline, self.at(4, 20))

    def test_rebuilt_from_the_chatter(self):
        env = self.env(context=dict(self.env.context, tracking_disable=False))

        def store():
            env.flush_all()
            env.cr.precommit.run()  # tracking is posted before commit

        with freeze_time(self.at(0, 9)):
            order = self._create_order(
                [(self.product_in_stock, 1)], user=self.receiver
            ).with_env(env)
            store()
        with freeze_time(self.at(0, 10)):
            order.with_user(self.receiver).action_submit_review()
            self._tick_manual_items(order)
            store()
        with freeze_time(self.at(1, 14)):
            order.with_user(self.reviewer).action_review_approve()
            store()
        untracked = self._create_order([(self.product_in_stock, 1)])
        self.env.flush_all()
        written = self._timeline(order)
        self.assertEqual(len(written), 3)

        # Their history is lost (as before the module kept one): rebuilt from
        # the tracked changes, or from creation when nothing was tracked.
        self.env.cr.execute(
            "DELETE FROM sale_order_stage_history WHERE order_id IN %s",
            [(order.id, untracked.id)],
        )
        self.env.invalidate_all()
        self.assertEqual(self.History._rebuild_missing_history(), 2)
        rebuilt = order.stage_history_ids
        self.assertEqual(
            self._timeline(order)[1:], written[1:], "changes dated by the chatter"
        )
        self.assertEqual(rebuilt[0].stage, "received")
        self.assertEqual(rebuilt[0].date_end, self.at(0, 10))
        self.assertEqual(rebuilt[1].end_user_id, self.reviewer)
        self.assertAlmostEqual(rebuilt[1].working_hours, 11.0)
        self.assertEqual(
            self._timeline(untracked), [("received", untracked.create_date, False)]
        )
        self.assertEqual(self.History._rebuild_missing_history(), 0)

    def test_queries_do_not_grow_with_orders(self):
        def quotations(count):
            orders = self.env["sale.order"].create(
                [{"partner_id": self.customer.id} for __ in range(count)]
            )
            self.env.flush_all()
            return orders

        for orders, queries in (
            (quotations(50), QUERIES_TO_STAGE_50_ORDERS),
            (quotations(500), QUERIES_TO_STAGE_500_ORDERS),
        ):
            self.env.invalidate_all()
            with self.assertQueryCount(queries):
                orders._set_review_state({"review_state": "to_review"})
            self.assertEqual(
                set(orders.stage_history_ids.mapped("stage")), {"received", "in_review"}
            )
            self.assertEqual(len(orders.stage_history_ids), 2 * len(orders))
