from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import OrderProcedureCase

# Orders, lines of ids, pickings, their types, moves, locations: whatever
# the number of orders.
QUERIES_TO_STAGE_ORDERS = 7


@tagged("post_install", "-at_install")
class TestProcedureStage(OrderProcedureCase):
    def test_quotation_stages_follow_review_state(self):
        order = self._create_order([(self.product_in_stock, 1)])
        self.assertEqual(order.procedure_stage, "received")
        order.review_state = "to_review"
        self.assertEqual(order.procedure_stage, "in_review")
        order.review_state = "returned"
        self.assertEqual(order.procedure_stage, "returned")
        order.review_state = "draft"
        self.assertEqual(order.procedure_stage, "received")

    def test_new_order_from_the_form_is_received(self):
        with Form(self.env["sale.order"].with_user(self.receiver)) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product_in_stock
        self.assertEqual(form.record.procedure_stage, "received")
        self.assertEqual(form.record.review_state, "draft")

    def test_full_flow_with_stock(self):
        order = self._create_confirmed_order([(self.product_in_stock, 5)])
        delivery = order.picking_ids
        self.assertEqual(len(delivery), 1)
        self.assertEqual(delivery.state, "assigned")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")

        self._ship(order, user=self.warehouse_user)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(order.procedure_stage, "shipped")

        order.completed_date = "2026-11-20 10:00:00"
        self.assertEqual(order.procedure_stage, "completed")

    def test_stock_shortage_then_reservation(self):
        order = self._create_confirmed_order([(self.product_no_stock, 3)])
        delivery = order.picking_ids
        self.assertEqual(delivery.state, "confirmed")
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")

        # Stock arrives and the delivery is reserved: no write on the order.
        self.env["stock.quant"]._update_available_quantity(
            self.product_no_stock, self.stock_location, 3
        )
        delivery.action_assign()
        self.assertEqual(delivery.state, "assigned")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")

    def test_partial_stock_is_not_awaiting_shipment(self):
        order = self._create_confirmed_order(
            [(self.product_in_stock, 2), (self.product_no_stock, 1)]
        )
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")

    def test_partial_shipment_with_backorder_waiting(self):
        self.env["stock.quant"]._update_available_quantity(
            self.product_no_stock, self.stock_location, 2
        )
        order = self._create_confirmed_order([(self.product_no_stock, 5)])
        delivery = order.picking_ids
        delivery.move_ids.quantity = 2
        delivery.move_ids.picked = True
        delivery.with_context(skip_sms=True, skip_backorder=True)._action_done()
        backorder = order.picking_ids - delivery
        self.assertEqual(delivery.state, "done")
        self.assertEqual(backorder.state, "confirmed")
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")

        # The customer does not want the rest: cancelling the backorder ships it.
        backorder.action_cancel()
        self.assertEqual(order.procedure_stage, "shipped")

    def test_service_only_order_is_pending(self):
        order = self._create_confirmed_order([(self.service, 2)])
        self.assertFalse(order.picking_ids)
        self.assertEqual(order.procedure_stage, "pending")

    def test_cancelled_order_and_cancelled_delivery(self):
        quotation = self._create_order([(self.product_in_stock, 1)])
        quotation.action_cancel()
        self.assertEqual(quotation.procedure_stage, "cancelled")

        order = self._create_confirmed_order([(self.product_in_stock, 1)])
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        order.picking_ids.action_cancel()
        self.assertEqual(order.procedure_stage, "pending")
        order._action_cancel()
        self.assertEqual(order.procedure_stage, "cancelled")

    def test_customer_return_does_not_reopen_a_shipped_order(self):
        order = self._create_confirmed_order([(self.product_in_stock, 2)])
        delivery = self._ship(order)
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1
        wizard.action_create_returns()
        self.assertEqual(len(order.picking_ids), 2)
        self.assertEqual(order.procedure_stage, "shipped")

    def test_multi_step_delivery(self):
        self.warehouse.delivery_steps = "pick_ship"
        order = self._create_confirmed_order([(self.product_in_stock, 4)])
        pick = order.picking_ids
        self.assertEqual(pick.picking_type_code, "internal")
        self.assertEqual(pick.state, "assigned")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")

        short = self._create_confirmed_order([(self.product_no_stock, 4)])
        self.assertEqual(short.procedure_stage, "awaiting_replenishment")

        pick.move_ids.picked = True
        pick.button_validate()
        ship = order.picking_ids - pick
        self.assertEqual(ship.picking_type_code, "outgoing")
        self.assertEqual(ship.state, "assigned")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        self._ship(order)
        self.assertEqual(order.procedure_stage, "shipped")

    def test_made_to_order_waits_for_the_purchase(self):
        vendor = self.env["res.partner"].create(
            {"name": "Ningbo Lamp Works", "supplier_qualified": True}
        )
        mto_route = self.env.ref("stock.route_warehouse0_mto")
        mto_route.active = True
        product = self._create_storable("Custom Lamp", "T-CLAMP", 0)
        product.write(
            {
                "route_ids": [
                    Command.set(
                        [
                            mto_route.id,
                            self.env.ref("purchase_stock.route_warehouse0_buy").id,
                        ]
                    )
                ],
                "seller_ids": [Command.create({"partner_id": vendor.id, "price": 20})],
            }
        )
        order = self._create_confirmed_order([(product, 2)])
        purchase = self.env["purchase.order"].search([("partner_id", "=", vendor.id)])
        self.assertEqual(len(purchase), 1)
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")

        purchase.button_confirm()
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")
        receipt = purchase.picking_ids
        receipt.move_ids.quantity = 2
        receipt.move_ids.picked = True
        receipt.button_validate()
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertEqual(order.procedure_stage, "awaiting_shipment")

    def test_every_stage_is_a_kanban_column(self):
        self._create_order([(self.product_in_stock, 1)])
        # The kanban asks for every group, empty ones included.
        groups = (
            self.env["sale.order"]
            .with_context(read_group_expand=True)
            .formatted_read_group(
                [("id", "=", 0)], groupby=["procedure_stage"], aggregates=["__count"]
            )
        )
        self.assertEqual(
            [group["procedure_stage"] for group in groups],
            [
                "received",
                "in_review",
                "returned",
                "pending",
                "awaiting_replenishment",
                "awaiting_shipment",
                "shipped",
                "completed",
                "cancelled",
            ],
        )

    def test_search_by_stage(self):
        in_stock = self._create_confirmed_order([(self.product_in_stock, 1)])
        short = self._create_confirmed_order([(self.product_no_stock, 1)])
        orders = in_stock | short
        SaleOrder = self.env["sale.order"]
        self.assertEqual(
            SaleOrder.search(
                [
                    ("id", "in", orders.ids),
                    ("procedure_stage", "=", "awaiting_shipment"),
                ]
            ),
            in_stock,
        )
        self.assertEqual(
            SaleOrder.search(
                [
                    ("id", "in", orders.ids),
                    ("procedure_stage", "=", "awaiting_replenishment"),
                ]
            ),
            short,
        )

    def test_stage_change_is_tracked_in_chatter(self):
        env = self.env(context=dict(self.env.context, tracking_disable=False))
        order = self._create_order(
            [(self.product_in_stock, 1)], review_state="approved"
        ).with_env(env)
        env.flush_all()
        env.cr.precommit.run()
        order.action_confirm()
        env.flush_all()
        env.cr.precommit.run()  # tracking messages are posted before commit
        tracked = order.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "procedure_stage"
        )
        self.assertEqual(tracked.mapped("old_value_char"), ["Received"])
        self.assertEqual(tracked.mapped("new_value_char"), ["Awaiting Shipment"])

    def test_stage_compute_queries_do_not_grow_with_orders(self):
        def make(count):
            return self.env["sale.order"].concat(
                *(
                    self._create_confirmed_order([(self.product_in_stock, 1)])
                    for __ in range(count)
                )
            )

        few, many = make(3), make(30)
        for orders in (few, many):
            self.env.invalidate_all()
            with self.assertQueryCount(QUERIES_TO_STAGE_ORDERS):
                self._recompute(orders, "procedure_stage")
            self.assertEqual(
                set(orders.mapped("procedure_stage")), {"awaiting_shipment"}
            )
