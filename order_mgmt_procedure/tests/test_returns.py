from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestAfterSalesWindow(OrderProcedureCase):
    def test_window_from_company_and_category(self):
        order = self._completed_order()
        today = order._get_completion_day()
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

    def test_window_counts_from_the_company_day(self):
        """Signed off at 23:30 UTC, 07:30 the next day in Shanghai: the
        window counts from the Shanghai day."""
        order = self._completed_order()
        order.company_id.resource_calendar_id.tz = "Asia/Shanghai"
        order.completed_date = datetime(2026, 3, 1, 23, 30)
        self.assertEqual(
            order.after_sales_deadline, date(2026, 3, 2) + timedelta(days=30)
        )
        order.company_id.resource_calendar_id.tz = "UTC"
        order.completed_date = datetime(2026, 3, 1, 23, 30, 1)
        self.assertEqual(
            order.after_sales_deadline, date(2026, 3, 1) + timedelta(days=30)
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

    def test_feedback_asked_at_completion_and_stored(self):
        order = self._completed_order()
        request = order.message_ids.filtered(
            lambda m: m.subject and "how was your order" in m.subject
        )
        self.assertEqual(len(request), 1)
        rating = order.rating_ids
        self.assertEqual(rating.partner_id, self.customer)
        self.assertIn(f"/rate/{rating.access_token}/5", request.body)

        order.rating_apply(
            5, token=rating.access_token, feedback="Fast and well packed"
        )
        self.assertEqual(order.rating_score, 5)
        self.assertEqual(order.rating_comment, "Fast and well packed")
        report = self.env.ref("order_mgmt_procedure.action_order_ratings")
        groups = self.env["sale.order"].formatted_read_group(
            [("rating_score", ">", 0), ("id", "=", order.id)],
            groupby=["order_channel"],
            aggregates=["rating_score:avg"],
        )
        self.assertEqual(groups[0]["rating_score:avg"], 5)
        self.assertIn("rating_score", report.domain)


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
        # The SLA ran out (the test moves the deadline, as time would).
        request.sudo().deadline = fields.Date.context_today(request) - timedelta(days=1)
        self.assertTrue(request.is_overdue)
        Request = self.env["order.return.request"]
        self.assertIn(request, Request.search([("is_overdue", "=", True)]))
        self.assertNotIn(request, Request.search([("is_overdue", "=", False)]))

        Request._cron_flag_overdue()
        Request._cron_flag_overdue()
        todo = request.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref(
                    "order_mgmt_procedure.mail_activity_type_return_overdue"
                )
            )
        )
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.manager)


class ReturnFlowCase(OrderProcedureCase):
    """Orders of a product invoiced on order, untaxed, at 200; requests of 2
    taken back, approved by a procedure manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product_in_stock.write(
            {"invoice_policy": "order", "taxes_id": False, "list_price": 200.0}
        )

    def _approved(self, request_type, invoiced=True):
        order = self._create_reviewed_order([(self.product_in_stock, 3)])
        if invoiced:
            order._create_invoices().action_post()
        self._ship(order)
        order.with_user(self.receiver).action_sign_off()
        request = (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create(
                {
                    "order_id": order.id,
                    "request_type": request_type,
                    "reason": "Wrong model",
                    "condition_intact": True,
                    "condition_accessories": True,
                    "line_ids": [
                        Command.create(
                            {"product_id": self.product_in_stock.id, "quantity": 2}
                        )
                    ],
                }
            )
        )
        request.action_submit()
        request.with_user(self.manager).action_approve()
        return order, request

    def _receive(self, picking):
        picking = picking.with_user(self.warehouse_user)
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()


@tagged("post_install", "-at_install")
class TestReturnFlow(ReturnFlowCase):
    def test_return_refunded_once(self):
        order, request = self._approved("return")
        back = request.return_picking_id
        self.assertEqual(back.picking_type_code, "incoming")
        self.assertEqual(back.move_ids.product_uom_qty, 2)
        self._receive(back)
        self.assertEqual(request.state, "done")
        refund = request.refund_move_id
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.state, "draft")
        self.assertEqual(refund.amount_total, 400)
        self.assertIn(refund, order.refund_move_ids, "in the accountants' list")
        request._on_return_received()
        request._create_refund()
        self.assertEqual(
            self.env["account.move"].search_count(
                [("procedure_refund_order_id", "=", order.id)]
            ),
            1,
        )

    def test_return_of_uninvoiced_order_refunds_nothing(self):
        __, request = self._approved("return", invoiced=False)
        self._receive(request.return_picking_id)
        self.assertEqual(request.state, "done")
        self.assertFalse(request.refund_move_id)

    def test_exchange_ships_replacement_with_priority(self):
        order, request = self._approved("exchange")
        order.with_user(self.reviewer).priority = "1"
        self._receive(request.return_picking_id)
        self.assertEqual(request.state, "received")
        replacement = request.exchange_picking_id
        self.assertEqual(replacement.picking_type_code, "outgoing")
        self.assertEqual(replacement.priority, "1")
        self.assertEqual(replacement.move_ids.product_uom_qty, 2)
        self.assertEqual(replacement.state, "assigned")
        self.assertFalse(request.refund_move_id)
        self._receive(replacement)
        self.assertEqual(request.state, "done")

    def test_exchange_for_another_product_makes_a_new_order(self):
        __, request = self._approved("exchange")
        other = self._create_storable("Cabinet XL", "T-CABXL", 10)
        request.sudo().line_ids.replacement_product_id = other
        self._receive(request.return_picking_id)
        new_order = request.exchange_order_id
        self.assertTrue(new_order)
        self.assertEqual(new_order.state, "draft", "reviewed like any order")
        self.assertEqual(new_order.order_line.product_id, other)
        self.assertEqual(new_order.order_line.product_uom_qty, 2)
        self.assertIn(request.name, new_order.origin)
        self.assertFalse(request.exchange_picking_id)
        self.assertEqual(request.state, "received")
        # The replacement follows its own order: the manager closes the request.
        request.with_user(self.manager).action_done()
        self.assertEqual(request.state, "done")

    def test_staff_open_a_request_from_the_order(self):
        order, __ = self._approved("return")
        action = order.with_user(self.receiver).action_new_return_request()
        self.assertEqual(action["res_model"], "order.return.request")
        self.assertEqual(action["context"]["default_order_id"], order.id)

    def test_request_lists_from_order_and_delivery(self):
        order, request = self._approved("return")
        from_order = order.action_view_return_requests()
        delivery = request._get_returned_delivery()
        request.sudo().picking_id = delivery
        from_delivery = delivery.action_view_return_requests()
        self.assertEqual(
            self.env["order.return.request"].search(from_order["domain"]), request
        )
        self.assertEqual(from_order["context"]["default_order_id"], order.id)
        self.assertEqual(
            self.env["order.return.request"].search(from_delivery["domain"]), request
        )
        self.assertEqual(delivery.return_request_count, 1)


@tagged("post_install", "-at_install")
class TestReturnButtons(OrderProcedureCase):
    def test_buttons_follow_state_and_role(self):
        order = self._completed_order()
        request = (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create(
                {
                    "order_id": order.id,
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
        managed = request.with_user(self.manager)
        self.assertTrue(request.can_submit)
        self.assertFalse(managed.can_approve, "nothing to decide on a draft")
        request.action_submit()

        self.assertFalse(request.can_submit)
        with self.assertRefused(UserError, "was already submitted"):
            request.action_submit()
        self.assertFalse(request.can_approve, "receivers do not decide")
        self.assertFalse(request.can_reject)
        self.assertTrue(managed.can_approve)
        self.assertTrue(managed.can_reject)
        self.assertFalse(managed.can_mark_done)
        managed.action_approve()

        self.assertFalse(managed.can_approve)
        with self.assertRefused(UserError, "Only submitted requests can be approved"):
            managed.action_approve()
        with self.assertRefused(UserError, "Only submitted requests can be rejected"):
            managed.action_reject()
        self.assertFalse(request.can_mark_done)
        self.assertFalse(managed.can_mark_done, "the goods have not come back")
        with self.assertRefused(UserError, "Only requests whose goods came back"):
            managed.action_done()
        self.assertEqual(request.state, "approved")

        back = request.return_picking_id.with_user(self.warehouse_user)
        back.move_ids.quantity = back.move_ids.product_uom_qty
        back.move_ids.picked = True
        back.button_validate()
        self.assertEqual(request.state, "received")
        self.assertEqual(request.exchange_picking_id.state, "assigned")
        self.assertFalse(managed.can_mark_done, "the replacement has not left")
        with self.assertRefused(UserError, "Only requests whose goods came back"):
            managed.action_done()

        request.exchange_picking_id.sudo().action_cancel()
        self.assertTrue(managed.can_mark_done, "no replacement to wait for")
        self.assertFalse(request.can_mark_done, "managers close requests")
        with self.assertRaises(AccessError):
            request.action_done()
        managed.action_done()
        self.assertEqual(request.state, "done")
        self.assertFalse(managed.can_mark_done)


@tagged("post_install", "-at_install")
class TestReturnDelivery(OrderProcedureCase):
    """The request's Delivery is the order's delivery when it has one."""

    def _new_request(self, order):
        return (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create({"order_id": order.id, "reason": "Scratched"})
        )

    def test_single_delivery_is_proposed(self):
        order = self._completed_order()
        delivery = order.picking_ids
        self.assertEqual(self._new_request(order).picking_id, delivery)

        action = order.with_user(self.receiver).action_new_return_request()
        with Form(
            self.env["order.return.request"]
            .with_user(self.receiver)
            .with_context(**action["context"])
        ) as form:
            self.assertEqual(form.picking_id, delivery, "shown in the new form")
            form.reason = "Scratched"
        self.assertEqual(form.record.picking_id, delivery)

        # Another order chosen in the form: its own delivery.
        other = self._completed_order()
        with Form(self._new_request(order)) as form:
            form.order_id = other
            self.assertEqual(form.picking_id, other.picking_ids)

    def test_several_deliveries_are_left_to_choose(self):
        order = self._create_reviewed_order([(self.product_in_stock, 3)])
        first = order.picking_ids
        first.action_mark_packed()
        first.move_ids.quantity = 1
        first.move_ids.picked = True
        first.with_context(skip_sms=True, skip_backorder=True)._action_done()
        self._ship(order)
        self.assertEqual(len(order._get_done_deliveries()), 2)
        self.assertFalse(self._new_request(order).picking_id)
        chosen = (
            self.env["order.return.request"]
            .with_user(self.receiver)
            .create({"order_id": order.id, "reason": "Dented", "picking_id": first.id})
        )
        self.assertEqual(chosen.picking_id, first)


@tagged("post_install", "-at_install")
class TestReturnActivities(OrderProcedureCase):
    """Procedure managers get the request to decide as an activity; the
    receiver who asked hears of the decision."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.decide = cls.env.ref(
            "order_mgmt_procedure.mail_activity_type_return_decision"
        )
        cls.approved = cls.env.ref(
            "order_mgmt_procedure.mail_activity_type_return_approved"
        )
        cls.rejected = cls.env.ref(
            "order_mgmt_procedure.mail_activity_type_return_rejected"
        )

    def _submitted(self, order, requests=None):
        if requests is None:
            requests = self.env["order.return.request"].with_user(self.receiver)
        request = requests.create(
            {
                "order_id": order.id,
                "request_type": "exchange",
                "reason": "Wrong colour",
                "line_ids": [
                    Command.create(
                        {"product_id": self.product_in_stock.id, "quantity": 1}
                    )
                ],
            }
        )
        request.action_submit()
        return request.with_env(self.env)

    def _activities(self, request, activity_type):
        return request.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )

    def test_submission_gives_one_manager_an_activity(self):
        order = self._completed_order()
        order.team_id.user_id = self.manager
        request = self._submitted(order)
        activity = request.activity_ids
        self.assertEqual(activity.activity_type_id, self.decide)
        self.assertEqual(activity.user_id, self.manager, "the team leader")
        self.assertFalse(activity.summary, "titled by its type, in each language")
        self.assertEqual(activity.display_name, "Return or Exchange to Decide")

    def test_managers_share_the_requests_to_decide(self):
        order = self._completed_order()
        order.team_id.user_id = self.receiver  # not a manager
        first = self._activities(self._submitted(order), self.decide)
        second = self._activities(self._submitted(order), self.decide)
        managers = self.env.ref("order_mgmt_procedure.group_procedure_manager")
        self.assertIn(managers, first.user_id.all_group_ids)
        self.assertIn(managers, second.user_id.all_group_ids)
        self.assertNotEqual(first.user_id, second.user_id, "the least busy first")

    def test_decision_closes_it_and_tells_the_requester(self):
        order = self._completed_order()
        approved = self._submitted(order)
        rejected = self._submitted(order)
        approved.with_user(self.manager).action_approve()
        rejected.with_user(self.manager).action_reject()
        for request, activity_type in (
            (approved, self.approved),
            (rejected, self.rejected),
        ):
            with self.subTest(state=request.state):
                self.assertFalse(self._activities(request, self.decide), "closed")
                told = request.activity_ids
                self.assertEqual(told.activity_type_id, activity_type)
                self.assertEqual(told.user_id, self.receiver)
                self.assertFalse(told.summary)
                self.assertTrue(
                    self.env["mail.message"].search(
                        [
                            ("model", "=", request._name),
                            ("res_id", "=", request.id),
                            ("partner_ids", "in", self.receiver.partner_id.ids),
                        ]
                    ),
                    "Odoo's assignment notice reaches the receiver",
                )

    def test_decision_in_the_requester_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        self.receiver.lang = "zh_CN"
        request = self._submitted(self._completed_order())
        request.with_user(self.manager).action_approve()
        told = request.activity_ids.with_user(self.receiver).with_context(lang="zh_CN")
        self.assertEqual(told.display_name, "退换货申请已审核通过")
        notice = self.env["mail.message"].search(
            [
                ("model", "=", request._name),
                ("res_id", "=", request.id),
                ("partner_ids", "in", self.receiver.partner_id.ids),
            ]
        )
        self.assertIn("退换货申请已审核通过", notice.subject)

    def test_portal_request_tells_the_salesperson(self):
        order = self._completed_order()
        self.assertEqual(order.user_id, self.receiver)
        portal = new_test_user(self.env, "omp_return_portal", "base.group_portal")
        # The portal creates the request under sudo for the customer.
        request = self._submitted(
            order, self.env["order.return.request"].with_user(portal).sudo()
        )
        self.assertEqual(request.create_uid, portal)
        request.with_user(self.manager).action_reject()
        self.assertEqual(
            self._activities(request, self.rejected).user_id, self.receiver
        )

    def test_manager_deciding_their_own_request_is_not_told(self):
        order = self._completed_order()
        request = self._submitted(
            order, self.env["order.return.request"].with_user(self.manager)
        )
        request.with_user(self.manager).action_approve()
        self.assertFalse(request.activity_ids)


@tagged("post_install", "-at_install")
class TestReturnHooks(ReturnFlowCase):
    """An integrator overrides each ``_prepare_*`` hook of the request: the
    values it changes reach the records made."""

    @contextmanager
    def _override(self, method, change, model="order.return.request"):
        """``method`` overridden as a module would: the values of super(),
        then ``change(records, vals, *args)``."""
        model_class = type(self.env[model])
        original = getattr(model_class, method)

        def override(records, *args):
            vals = original(records, *args)
            change(records, vals, *args)
            return vals

        with patch.object(model_class, method, override):
            yield

    def test_refund_header(self):
        def change(request, vals):
            vals["ref"] = f"RMA {request.name}"
            vals["narration"] = "Returned in its original box"

        order, request = self._approved("return")
        with self._override("_prepare_refund_vals", change):
            self._receive(request.return_picking_id)
        refund = request.refund_move_id
        self.assertEqual(refund.ref, f"RMA {request.name}")
        self.assertIn("Returned in its original box", refund.narration)
        self.assertEqual(refund.amount_total, 400, "lines as before")
        self.assertIn(refund, order.refund_move_ids)

    def test_refund_lines(self):
        def change(request, vals_list):
            for vals in vals_list:
                vals["price_unit"] = 150.0

        __, request = self._approved("return")
        with self._override("_prepare_refund_line_vals", change):
            self._receive(request.return_picking_id)
        refund = request.refund_move_id
        self.assertEqual(refund.invoice_line_ids.price_unit, 150)
        self.assertEqual(refund.amount_total, 300)

    def test_return_picking(self):
        def change(request, vals, delivery):
            vals["quantities"] = dict.fromkeys(vals["quantities"], 1.0)
            vals["vals"] = {"origin": f"{request.name} from {delivery.name}"}

        with self._override("_prepare_return_picking_vals", change):
            __, request = self._approved("return")
        back = request.return_picking_id
        delivery = request._get_returned_delivery()
        self.assertEqual(back.move_ids.product_uom_qty, 1)
        self.assertEqual(back.origin, f"{request.name} from {delivery.name}")
        self.assertEqual(back.return_id, delivery)

    def test_exchange_order(self):
        def change(request, vals, lines):
            vals["client_order_ref"] = request.name

        __, request = self._approved("exchange")
        other = self._create_storable("Cabinet XL", "T-CABXL", 10)
        request.sudo().line_ids.replacement_product_id = other
        with self._override("_prepare_exchange_order_vals", change):
            self._receive(request.return_picking_id)
        new_order = request.exchange_order_id
        self.assertEqual(new_order.client_order_ref, request.name)
        self.assertEqual(new_order.order_line.product_id, other)

    def test_exchange_picking(self):
        def change(request, vals, lines):
            vals["note"] = "Check the replacement before it leaves"

        __, request = self._approved("exchange")
        with self._override("_prepare_exchange_picking_vals", change):
            self._receive(request.return_picking_id)
        replacement = request.exchange_picking_id
        self.assertIn("Check the replacement before it leaves", replacement.note)
        self.assertEqual(replacement.move_ids.product_uom_qty, 2)

    def test_overdue_activity(self):
        def change(requests, vals_list, activity_type):
            for vals in vals_list:
                vals["summary"] = "Call the customer back"

        __, request = self._approved("return")
        # The SLA ran out (the test moves the deadline, as time would).
        request.sudo().deadline = fields.Date.context_today(request) - timedelta(days=1)
        with self._override("_prepare_overdue_activity_vals", change):
            self.env["order.return.request"]._cron_flag_overdue()
        todo = request.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref(
                    "order_mgmt_procedure.mail_activity_type_return_overdue"
                )
            )
        )
        self.assertEqual(todo.summary, "Call the customer back")
