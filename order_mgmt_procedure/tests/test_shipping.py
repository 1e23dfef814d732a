from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestShipping(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "SF Express",
                "product_id": cls.env["product.product"]
                .create({"name": "SF shipping", "type": "service"})
                .id,
                "transit_days": 2,
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )

    def _delivery(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")

    def _validate(self, picking, user=None):
        picking = picking.with_user(user or self.warehouse_user)
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        return picking.with_context(skip_sms=True).button_validate()

    def test_packing_check_required(self):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        delivery = self._delivery(order)
        with self.assertRefused(UserError, "have not been checked against the order"):
            self._validate(delivery)
        self.assertEqual(delivery.state, "assigned")

        self.assertIs(
            delivery.with_user(self.warehouse_user).action_mark_packed(), True
        )
        self.assertTrue(delivery.packing_checked)
        self.assertEqual(delivery.packing_checked_by_id, self.warehouse_user)
        self.assertTrue(delivery.packing_checked_date)
        self._validate(delivery)
        self.assertEqual(delivery.state, "done")
        self.assertEqual(order.procedure_stage, "shipped")

    def test_mark_as_packed_follows_the_delivery(self):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        delivery = self._delivery(order).with_user(self.warehouse_user)
        self.assertTrue(delivery.can_mark_packed)
        delivery.action_mark_packed()
        self.assertFalse(delivery.can_mark_packed, "packed once")
        self.assertTrue(delivery.is_to_ship, "the Packed ribbon shows")
        self._validate(delivery)
        self.assertFalse(delivery.is_to_ship)
        self.assertFalse(delivery.can_mark_packed)
        with self.assertRefused(UserError, "Only deliveries still to ship"):
            delivery.action_mark_packed()
        receipt = self.env["stock.picking"].create(
            {"picking_type_id": self.warehouse.in_type_id.id}
        )
        self.assertFalse(receipt.can_mark_packed, "not a customer delivery")

    def test_packing_check_optional(self):
        self.company.packing_check_required = False
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        self._validate(self._delivery(order))
        self.assertEqual(order.procedure_stage, "shipped")

    def test_carrier_needs_tracking_and_customer_is_told(self):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        delivery = self._delivery(order)
        delivery.with_user(self.warehouse_user).write({"carrier_id": self.carrier.id})
        self.assertEqual(
            delivery.expected_delivery_date,
            fields.Date.context_today(delivery) + timedelta(days=2),
        )
        delivery.with_user(self.warehouse_user).action_mark_packed()
        with self.assertRefused(UserError, "SF Express needs a tracking number"):
            self._validate(delivery)

        delivery.with_user(self.warehouse_user).carrier_tracking_ref = "SF998877"
        self._validate(delivery)
        self.assertEqual(order.procedure_stage, "shipped")
        mail = delivery.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertEqual(len(mail), 1)
        self.assertIn("has shipped", mail.subject)
        self.assertIn("SF998877", mail.body)
        self.assertIn("https://track.example.com/SF998877", mail.body)
        self.assertIn("SF Express", mail.body)

    def test_shipping_label(self):
        order = self._create_reviewed_order(
            [(self.product_in_stock, 2)], client_order_ref="PO-778"
        )
        delivery = self._delivery(order)
        delivery.write(
            {"carrier_id": self.carrier.id, "carrier_tracking_ref": "SF55443"}
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "order_mgmt_procedure.action_report_shipping_label", delivery.ids
            )[0]
            .decode()
        )
        for expected in (
            "Hangzhou Xinyu Electronics",
            "18 Wensan Road",
            "Hangzhou",
            "310013",
            "+86 571 8765 4321",
            order.name,
            delivery.name,
            "PO-778",
            "SF Express",
            "SF55443",
            "Barcode SF55443",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, html)

    def test_shipping_label_pdf(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() not in (
            "ok",
            "upgrade",
        ):
            self.skipTest("wkhtmltopdf is not installed: the PDF cannot be made")
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._delivery(order)
        delivery.write({"carrier_id": self.carrier.id, "carrier_tracking_ref": "SF77"})
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(
                "order_mgmt_procedure.action_report_shipping_label", delivery.ids
            )
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_logistics_events_and_exceptions(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._ship(order)
        Event = self.env["stock.picking.logistics.event"].with_user(self.warehouse_user)
        for event_type, exception in (
            ("in_transit", False),
            ("delayed", True),
            ("lost", True),
            ("damaged", True),
            ("delivered", False),
            ("other", False),
        ):
            with self.subTest(event_type=event_type):
                event = Event.new({"picking_id": delivery.id, "event_type": event_type})
                self.assertEqual(event.is_exception, exception)

        in_transit = Event.create(
            {"picking_id": delivery.id, "event_type": "in_transit"}
        )
        self.assertEqual(in_transit.state, "resolved")
        self.assertFalse(order.logistics_exception)
        self.assertFalse(delivery.activity_ids)

        delayed = Event.create(
            {
                "picking_id": delivery.id,
                "event_type": "delayed",
                "description": "Held at customs",
            }
        )
        self.assertEqual(delayed.state, "open")
        self.assertTrue(delayed.customer_notified)
        self.assertTrue(order.logistics_exception)
        self.assertEqual(
            self.env["sale.order"].search(
                [("id", "=", order.id), ("logistics_exception", "=", True)]
            ),
            order,
        )
        self.assertEqual(len(delivery.activity_ids), 1)
        told = delivery.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertIn("Held at customs", told[0].body)

        with self.assertRefused(UserError, "Write how the exception was handled"):
            delayed.action_resolve()
        delayed.handling_note = "Customs cleared; delivery tomorrow."
        self.assertIs(delayed.action_resolve(), True)
        self.assertEqual(delayed.state, "resolved")
        self.assertEqual(delayed.resolved_by_id, self.warehouse_user)
        self.assertFalse(order.logistics_exception)
        told = delivery.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertIn("Customs cleared; delivery tomorrow.", told[0].body)

    def test_resolve_button_follows_open_exceptions(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._ship(order)
        Event = self.env["stock.picking.logistics.event"].with_user(self.warehouse_user)
        in_transit, lost = Event.create(
            [
                {"picking_id": delivery.id, "event_type": "in_transit"},
                {"picking_id": delivery.id, "event_type": "lost"},
            ]
        )
        self.assertFalse(in_transit.can_resolve, "nothing to resolve")
        self.assertTrue(lost.can_resolve)
        (in_transit | lost).handling_note = "Sent again"
        (in_transit | lost).action_resolve()
        self.assertEqual(lost.state, "resolved")
        self.assertEqual(lost.resolved_by_id, self.warehouse_user)
        self.assertFalse(lost.can_resolve)
        self.assertFalse(in_transit.resolved_by_id, "never was an exception")

    def test_who_records_events(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._ship(order)
        Event = self.env["stock.picking.logistics.event"]
        Event.with_user(self.receiver).create(
            {"picking_id": delivery.id, "event_type": "in_transit"}
        )
        with self.assertRaises(AccessError):
            Event.with_user(self.accountant).create(
                {"picking_id": delivery.id, "event_type": "in_transit"}
            )
        self.assertEqual(len(order.logistics_event_ids), 1)


@tagged("post_install", "-at_install")
class TestSignOff(OrderProcedureCase):
    def test_sign_off_by_staff_after_shipment(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        with self.assertRefused(UserError, "Only shipped orders can be signed off"):
            order.with_user(self.receiver).action_sign_off()
        self.assertFalse(order.with_user(self.receiver).can_sign_off)
        self._ship(order)
        self.assertTrue(order.with_user(self.receiver).can_sign_off)
        self.assertIs(order.with_user(self.receiver).action_sign_off(), True)
        self.assertEqual(order.procedure_stage, "completed")
        self.assertTrue(order.completed_date)

    def test_sign_off_by_the_customer_only(self):
        portal = new_test_user(self.env, "omp_portal_signer", "base.group_portal")
        portal.partner_id.write(
            {
                "street": "1 Renmin Road",
                "city": "Ningbo",
                "country_id": self.env.ref("base.cn").id,
                "zip": "315000",
                "phone": "+86 574 8765 4321",
            }
        )
        order = self._create_reviewed_order(
            [(self.product_in_stock, 1)], partner_id=portal.partner_id.id
        )
        self._ship(order)
        stranger = new_test_user(self.env, "omp_portal_stranger", "base.group_portal")
        with self.assertRaises(AccessError):
            order.with_user(stranger).action_sign_off()
        with self.assertRefused(AccessError, "Only the customer or order staff"):
            order.with_user(self.warehouse_user).action_sign_off()
        self.assertEqual(order.procedure_stage, "shipped")
        order.with_user(portal).action_sign_off()
        self.assertEqual(order.procedure_stage, "completed")


@tagged("post_install", "-at_install")
class TestPackaging(OrderProcedureCase):
    def test_category_packaging_is_proposed(self):
        self.env.user.group_ids += self.env.ref("stock.group_tracking_lot")
        carton = self.env["stock.package.type"].create({"name": "Furniture carton"})
        category = self.env["product.category"].create(
            {"name": "Cabinets", "package_type_id": carton.id}
        )
        self.product_in_stock.categ_id = category
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        delivery = order.picking_ids
        delivery.move_ids.quantity = 2
        delivery.move_ids.picked = True

        delivery.picking_type_id.set_package_type = True
        wizard_defaults = (
            self.env["stock.put.in.pack"]
            .with_context(default_move_line_ids=delivery.move_line_ids.ids)
            .default_get(["package_type_id"])
        )
        self.assertEqual(wizard_defaults["package_type_id"], carton.id)

        delivery.picking_type_id.set_package_type = False
        delivery.action_put_in_pack()
        package = delivery.move_line_ids.result_package_id
        self.assertEqual(package.package_type_id, carton)
