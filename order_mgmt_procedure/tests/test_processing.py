from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import OrderProcedureCase

# Orders, moves, free quantities, orderpoints, their forecast: whatever the
# number of waiting orders.
QUERIES_TO_RECHECK_WAITING_ORDERS = 40


@tagged("post_install", "-at_install")
class TestProcessing(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create(
            {"name": "Suzhou Furniture Works", "supplier_qualified": True}
        )
        cls.buy_route = cls.env.ref("purchase_stock.route_warehouse0_buy")
        cls.desk = cls._create_storable("Desk", "T-DESK", 4)
        cls.desk.write(
            {
                "route_ids": [Command.set(cls.buy_route.ids)],
                "seller_ids": [
                    Command.create({"partner_id": cls.vendor.id, "price": 60})
                ],
            }
        )

    def _rfq_lines(self, product=None):
        return self.env["purchase.order.line"].search(
            [("product_id", "=", (product or self.desk).id)]
        )

    def _receive(self, purchase, quantity):
        receipt = purchase.picking_ids.filtered(lambda p: p.state != "done")
        receipt.move_ids.quantity = quantity
        receipt.move_ids.picked = True
        receipt.with_context(skip_backorder=True).button_validate()

    def test_enough_stock_goes_to_shipment(self):
        order = self._create_reviewed_order([(self.product_in_stock, 5)])
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        self.assertEqual(order.shortage_count, 0)
        self.assertFalse(self._rfq_lines(self.product_in_stock))

    def test_shortage_requests_exactly_the_missing_quantity_once(self):
        order = self._create_reviewed_order([(self.desk, 10)])
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")
        line = self._rfq_lines()
        self.assertEqual(len(line), 1)
        self.assertEqual(line.product_qty, 6)
        self.assertEqual(line.order_id.partner_id, self.vendor)
        self.assertEqual(line.order_id.state, "draft")
        self.assertIn(order.name, line.order_id.origin)
        self.assertTrue(line.orderpoint_id, "visible in Inventory > Replenishment")

        self.assertEqual(order.shortage_count, 1)
        self.assertIn("[T-DESK] Desk", order.shortage_html)
        self.assertIn("6 Units", order.shortage_html)
        self.assertIn(line.order_id.name, order.shortage_html)
        self.assertEqual(order.replenishment_purchase_ids, line.order_id)

        # Checking again, by hand or by the scheduled action, asks for nothing more.
        order.with_user(self.receiver).action_check_stock()
        self.env["sale.order"]._cron_check_stock()
        self.assertEqual(self._rfq_lines(), line)
        self.assertEqual(line.product_qty, 6)

    def test_second_order_adds_its_own_shortage(self):
        self._create_reviewed_order([(self.desk, 10)])
        self._create_reviewed_order([(self.desk, 3)])
        self.assertEqual(sum(self._rfq_lines().mapped("product_qty")), 9)

    def test_receipt_serves_urgent_order_first(self):
        self.env["stock.quant"]._update_available_quantity(
            self.desk, self.stock_location, -4
        )
        normal = self._create_reviewed_order([(self.desk, 5)])
        urgent = self._create_reviewed_order([(self.desk, 5)], is_rush=True)
        self.assertEqual(urgent.priority, "1")
        purchase = self._rfq_lines().order_id
        self.assertEqual(len(purchase), 1)
        self.assertEqual(sum(purchase.order_line.mapped("product_qty")), 10)
        self.assertEqual(purchase.priority, "1", "starred for purchasing")

        # Half of it arrives: the urgent order is served first.
        purchase.button_confirm()
        self._receive(purchase, 5)
        self.assertEqual(urgent.procedure_stage, "awaiting_shipment")
        self.assertEqual(normal.procedure_stage, "awaiting_replenishment")
        self.assertEqual(urgent.shortage_count, 0)
        self.assertEqual(normal.shortage_count, 1)

    def test_made_to_order_triggers_its_purchase(self):
        order = self._create_reviewed_order([(self.desk, 2)], fulfillment_type="custom")
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")
        self.assertEqual(order.order_line.move_ids.procure_method, "make_to_order")
        self.assertEqual(order.purchase_order_count, 1)
        purchase = order._get_purchase_orders()
        self.assertEqual(purchase.order_line.product_qty, 2)
        self.assertFalse(purchase.order_line.orderpoint_id, "not from stock")
        self.assertEqual(order.shortage_count, 0, "waits for its own purchase")

        purchase.button_confirm()
        self._receive(purchase, 2)
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        self.assertEqual(self.desk.qty_available, 6, "stock orders kept their stock")

    def test_supplier_qualification(self):
        unqualified = self.env["res.partner"].create({"name": "Fly-by-night Ltd"})
        expired = self.env["res.partner"].create(
            {
                "name": "Old Partner Co",
                "supplier_qualified": True,
                "supplier_qualification_expiry": fields.Date.today()
                - timedelta(days=1),
            }
        )

        def purchase(vendor):
            return self.env["purchase.order"].create(
                {
                    "partner_id": vendor.id,
                    "order_line": [
                        Command.create({"product_id": self.desk.id, "product_qty": 1})
                    ],
                }
            )

        for vendor in (unqualified, expired):
            with self.subTest(vendor=vendor.name):
                po = purchase(vendor)
                with self.assertRefused(UserError, vendor.name):
                    po.button_confirm()
                self.assertEqual(po.state, "draft")

        qualified = purchase(self.vendor)
        qualified.button_confirm()
        self.assertEqual(qualified.state, "purchase")

        self.assertEqual(
            self.env["res.partner"].search(
                [
                    ("id", "in", (unqualified | expired | self.vendor).ids),
                    ("supplier_qualified", "=", True),
                    ("supplier_qualification_expiry", "<", fields.Date.today()),
                ]
            ),
            expired,
        )

        self.company.supplier_qualification_required = False
        po = purchase(unqualified)
        po.button_confirm()
        self.assertEqual(po.state, "purchase")

    def test_replenishment_prefers_qualified_vendors(self):
        cheap = self.env["res.partner"].create({"name": "Cheap Unqualified"})
        lamp = self._create_storable("Floor Lamp", "T-FLAMP", 0)
        lamp.write(
            {
                "route_ids": [Command.set(self.buy_route.ids)],
                "seller_ids": [
                    Command.create({"partner_id": cheap.id, "price": 5, "sequence": 1}),
                    Command.create(
                        {"partner_id": self.vendor.id, "price": 9, "sequence": 2}
                    ),
                ],
            }
        )
        self._create_reviewed_order([(lamp, 3)])
        self.assertEqual(self._rfq_lines(lamp).order_id.partner_id, self.vendor)

    def test_recheck_queries_do_not_grow_with_orders(self):
        def waiting_orders(count):
            values = [
                {
                    "partner_id": self.customer.id,
                    "review_state": "approved",
                    "order_line": [Command.create({"product_id": self.desk.id})],
                }
                for __ in range(count)
            ]
            orders = self.env["sale.order"].create(values)
            orders.action_confirm()
            return orders

        few, many = waiting_orders(20), waiting_orders(100)
        self.assertEqual(
            set(many.mapped("procedure_stage")), {"awaiting_replenishment"}
        )
        counts = []
        for orders in (few, many):
            self.env.invalidate_all()
            with self.assertQueryCount(QUERIES_TO_RECHECK_WAITING_ORDERS):
                start = self.cr.sql_log_count
                orders.action_check_stock()
                self.env.flush_all()
                counts.append(self.cr.sql_log_count - start)
        self.assertLessEqual(counts[1], counts[0], "100 orders cost no more than 20")
        self.assertEqual(sum(self._rfq_lines().mapped("product_qty")), 116)

    def test_prepare_replenishment_orderpoint_vals_override(self):
        """An integrator keeps a safety stock on the orderpoints the procedure
        makes: the request covers the shortage and refills it."""
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder._prepare_replenishment_orderpoint_vals

        def with_safety_stock(orders, product_locations):
            return [
                dict(vals, product_min_qty=2.0, product_max_qty=2.0)
                for vals in original(orders, product_locations)
            ]

        with patch.object(
            SaleOrder, "_prepare_replenishment_orderpoint_vals", with_safety_stock
        ):
            self._create_reviewed_order([(self.desk, 10)])
        line = self._rfq_lines()
        self.assertEqual(line.orderpoint_id.product_min_qty, 2.0)
        self.assertEqual(line.product_qty, 8, "6 missing and 2 of safety stock")

    def test_shortage_without_request_expects_the_lead_time(self):
        """A product that cannot be bought yet (no vendor): the order shows the
        shortage, that no request exists, and when the replenishment lead
        time would bring the goods."""
        lamp = self._create_storable("Floor lamp", "T-FLOOR", 0)
        lamp.route_ids = self.buy_route
        order = self._create_reviewed_order([(lamp, 2)])
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")
        self.assertEqual(order.shortage_count, 1)
        self.assertIn("[T-FLOOR] Floor lamp", order.shortage_html)
        self.assertIn("No request yet", order.shortage_html)
        self.assertFalse(order.replenishment_purchase_ids)
        # The reviewer opens the order: every field of the form reads.
        order.with_user(self.reviewer).web_read(
            {
                name: {}
                for name in ("shortage_html", "shortage_count", "procedure_stage")
            }
        )
