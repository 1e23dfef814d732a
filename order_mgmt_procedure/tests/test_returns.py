from datetime import date, datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestAfterSalesWindow(OrderProcedureCase):
    def _completed_order(self, days_ago=0):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(order)
        order.with_user(self.receiver).action_sign_off()
        order.completed_date = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def test_window_from_company_and_category(self):
        order = self._completed_order()
        today = fields.Date.context_today(order)
        self.assertEqual(order.after_sales_deadline, today + timedelta(days=30))
        self.assertTrue(order.after_sales_open)

        category = self.env["product.category"].create(
            {"name": "Furniture", "after_sales_days": 90}
        )
        self.product_in_stock.categ_id = category
        self.assertEqual(order.after_sales_deadline, today + timedelta(days=90))

        self.company.after_sales_days = 120
        self.assertEqual(
            order.after_sales_deadline,
            today + timedelta(days=90),
            "the category's window is its products' own",
        )

    def test_open_and_closed_windows(self):
        recent = self._completed_order(days_ago=5)
        old = self._completed_order(days_ago=40)
        not_done = self._create_reviewed_order([(self.product_in_stock, 1)])
        SaleOrder = self.env["sale.order"]
        ids = (recent | old | not_done).ids
        self.assertEqual(
            SaleOrder.search([("id", "in", ids), ("after_sales_open", "=", True)]),
            recent,
        )
        self.assertEqual(
            SaleOrder.search([("id", "in", ids), ("after_sales_open", "=", False)]),
            old | not_done,
        )
        self.assertGreaterEqual(SaleOrder._cron_close_after_sales_windows(), 1)
        self.assertTrue(old.after_sales_closed)
        self.assertFalse(recent.after_sales_closed)
        self.assertIn("After-sales window closed", old.message_ids[0].body)
        self.assertEqual(SaleOrder._cron_close_after_sales_windows(), 0)


@tagged("post_install", "-at_install")
class TestReturnRequests(OrderProcedureCase):
    def _request(self, order, request_type="return", **values):
        return (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create(
                {
                    "order_id": order.id,
                    "request_type": request_type,
                    "reason": "Wrong size",
                    "line_ids": [
                        Command.create(
                            {"product_id": self.product_in_stock.id, "quantity": 1}
                        )
                    ],
                    **values,
                }
            )
        )

    def _completed_order(self, days_ago=0):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(order)
        order.with_user(self.receiver).action_sign_off()
        order.completed_date = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def test_return_conditions(self):
        order = self._completed_order()
        request = self._request(order)
        self.assertTrue(request.within_window)
        with self.assertRefused(UserError, "needs the product intact"):
            request.action_submit()
        request.write({"condition_intact": True, "condition_accessories": True})
        request.action_submit()
        self.assertEqual(request.state, "submitted")

        exchange = self._request(order, request_type="exchange")
        exchange.action_submit()
        self.assertEqual(exchange.state, "submitted")

    def test_window_override_by_manager(self):
        order = self._completed_order(days_ago=45)
        request = self._request(
            order, condition_intact=True, condition_accessories=True
        )
        self.assertFalse(request.within_window)
        with self.assertRefused(UserError, "after-sales window of"):
            request.action_submit()
        with self.assertRefused(AccessError, "Only procedure managers may accept"):
            request.write({"window_override_reason": "Loyal customer"})
        request.with_user(self.manager).window_override_reason = "Loyal customer"
        request.action_submit()
        self.assertEqual(request.state, "submitted")

    def test_approval_by_managers_with_working_day_deadline(self):
        order = self._completed_order()
        request = self._request(
            order, condition_intact=True, condition_accessories=True
        )
        request.action_submit()
        with self.assertRaises(AccessError):
            request.with_user(self.reviewer).action_approve()
        self.assertEqual(request.state, "submitted")
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.approved_by_id, self.manager)
        self.assertTrue(request.deadline > fields.Date.context_today(request))

        rejected = self._request(order, request_type="exchange")
        rejected.action_submit()
        rejected.with_user(self.manager).action_reject()
        self.assertEqual(rejected.state, "rejected")

    def test_deadline_skips_weekends_and_leaves(self):
        order = self._completed_order()
        friday = datetime(2026, 12, 4, 10, 0)
        returned = self._request(order)
        exchanged = self._request(order, request_type="exchange")
        self.assertEqual(returned._compute_sla_deadline(friday), date(2026, 12, 15))
        self.assertEqual(exchanged._compute_sla_deadline(friday), date(2026, 12, 9))

        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": self.company.resource_calendar_id.id,
                "date_from": datetime(2026, 12, 8, 0, 0),
                "date_to": datetime(2026, 12, 8, 23, 59),
            }
        )
        self.assertEqual(returned._compute_sla_deadline(friday), date(2026, 12, 16))
        self.assertEqual(exchanged._compute_sla_deadline(friday), date(2026, 12, 10))

    def test_overdue_detection_and_activity(self):
        order = self._completed_order()
        request = self._request(
            order, condition_intact=True, condition_accessories=True
        )
        request.action_submit()
        request.with_user(self.manager).action_approve()
        self.assertFalse(request.is_overdue)
        request.deadline = fields.Date.context_today(request) - timedelta(days=1)
        self.assertTrue(request.is_overdue)
        Request = self.env["order.return.request"]
        self.assertIn(request, Request.search([("is_overdue", "=", True)]))
        self.assertNotIn(request, Request.search([("is_overdue", "=", False)]))

        Request._cron_flag_overdue()
        Request._cron_flag_overdue()
        self.assertEqual(len(request.activity_ids), 1)
        self.assertEqual(request.activity_ids.user_id, self.manager)
