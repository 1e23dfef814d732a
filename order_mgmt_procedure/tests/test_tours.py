import unittest

from odoo.tests import HttpCase, common, tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestProcedureTours(OrderProcedureCase, HttpCase):
    """The procedure walked in the browser, role by role (tours in
    static/tests/tours)."""

    @classmethod
    def setUpClass(cls):
        # The tours need Chrome or Chromium, found the way Odoo's browser
        # finds it, and websocket-client to drive it: say which is missing
        # before making any data.
        if common.websocket is None:
            raise unittest.SkipTest(
                "Tours skipped: the websocket-client module is not installed"
            )
        try:
            common._find_executable()
        except unittest.SkipTest as error:
            raise unittest.SkipTest(
                f"Tours skipped: no Chrome or Chromium to run them ({error})"
            ) from None
        super().setUpClass()

    def test_order_procedure_tour(self):
        self.start_tour(
            "/odoo/sales/new", "order_procedure_tour", login=self.receiver.login
        )
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(order), 1, "the receiver saved one quotation")
        self.assertEqual(order.create_uid, self.receiver)
        self.assertEqual(order.order_line.product_id, self.product_in_stock)
        self.assertEqual(order.order_line.product_uom_qty, 2)
        self.assertEqual(order.state, "draft", "still a quotation until approved")
        self.assertEqual(order.review_state, "to_review")
        self.assertEqual(order.procedure_stage, "in_review")
        manual = order.review_line_ids.filtered(lambda ln: ln.check_type == "manual")
        self.assertTrue(manual, "the checklist has items for the reviewer to tick")
        self.assertEqual(set(manual.mapped("result")), {"pending"})

        self.start_tour(
            "/odoo/orders-to-review",
            "order_procedure_review_tour",
            login=self.reviewer.login,
        )
        self.assertEqual(set(manual.mapped("result")), {"pass"})
        self.assertEqual(manual.checked_by_id, self.reviewer)
        self.assertEqual(order.review_state, "approved")
        self.assertEqual(order.review_user_id, self.reviewer)
        self.assertEqual(order.state, "sale", "the approval confirmed the order")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        delivery = order.picking_ids
        self.assertEqual(len(delivery), 1)
        self.assertEqual(delivery.picking_type_code, "outgoing")
        self.assertEqual(delivery.state, "assigned", "the goods are reserved")

        self.start_tour(
            f"/odoo/sales/{order.id}", "order_procedure_ship_tour", login="admin"
        )
        admin = self.env.ref("base.user_admin")
        self.assertTrue(delivery.packing_checked)
        self.assertEqual(delivery.packing_checked_by_id, admin)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(delivery.move_ids.quantity, 2)
        self.assertEqual(order.order_line.qty_delivered, 2)
        self.assertEqual(order.procedure_stage, "completed")
        self.assertTrue(order.completed_date)
        self.assertTrue(order.after_sales_open, "the after-sales window started")

    def test_order_procedure_tour_in_chinese(self):
        """The procedure as a Chinese company's staff walk it, in 简体中文:
        the receiver creates and submits the quotation, the reviewer ticks
        the checklist and approves, the warehouse clerk marks the delivery
        as packed and validates it. The tours check the Chinese label of
        every procedure button they click."""
        self.env["res.lang"]._activate_lang("zh_CN")
        installed = self.env["ir.module.module"].search([("state", "=", "installed")])
        self.env["ir.module.module"]._load_module_terms(
            installed.mapped("name"), ["zh_CN"], overwrite=True
        )
        (self.receiver | self.reviewer | self.warehouse_user).lang = "zh_CN"

        self.start_tour(
            "/odoo/sales/new", "order_procedure_zh_tour", login=self.receiver.login
        )
        order = self.env["sale.order"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(order), 1, "the receiver saved one quotation")
        self.assertEqual(order.create_uid, self.receiver)
        self.assertEqual(order.order_line.product_uom_qty, 2)
        self.assertEqual(order.procedure_stage, "in_review")

        self.start_tour(
            "/odoo/orders-to-review",
            "order_procedure_zh_review_tour",
            login=self.reviewer.login,
        )
        manual = order.review_line_ids.filtered(lambda ln: ln.check_type == "manual")
        self.assertEqual(set(manual.mapped("result")), {"pass"})
        self.assertEqual(manual.checked_by_id, self.reviewer)
        self.assertEqual(order.review_user_id, self.reviewer)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")

        delivery = order.picking_ids
        self.assertEqual(len(delivery), 1)
        self.start_tour(
            f"/odoo/action-stock.action_picking_tree_all/{delivery.id}",
            "order_procedure_zh_ship_tour",
            login=self.warehouse_user.login,
        )
        self.assertTrue(delivery.packing_checked)
        self.assertEqual(delivery.packing_checked_by_id, self.warehouse_user)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(order.order_line.qty_delivered, 2)
        self.assertEqual(order.procedure_stage, "shipped")

    def test_order_return_request_tour(self):
        order = self._completed_order()
        self.start_tour(
            f"/odoo/sales/{order.id}",
            "order_return_request_tour",
            login=self.receiver.login,
        )
        request = order.return_request_ids
        self.assertEqual(len(request), 1)
        self.assertEqual(request.create_uid, self.receiver)
        self.assertEqual(request.state, "submitted")
        self.assertEqual(request.request_type, "return")
        self.assertEqual(request.reason, "The cabinet door does not close")
        self.assertTrue(request.condition_intact)
        self.assertTrue(request.condition_accessories)
        self.assertEqual(request.line_ids.product_id, self.product_in_stock)
        self.assertEqual(request.line_ids.quantity, 1)
        self.assertFalse(request.return_picking_id, "no return before approval")

        self.start_tour(
            f"/odoo/sales/{order.id}",
            "order_return_request_approve_tour",
            login=self.manager.login,
        )
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.approved_by_id, self.manager)
        self.assertTrue(request.deadline)
        back = request.return_picking_id
        self.assertEqual(back.picking_type_code, "incoming")
        self.assertEqual(back.move_ids.product_id, self.product_in_stock)
        self.assertEqual(back.move_ids.product_uom_qty, 1)
