from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged

from .common import PHOTO, OrderProcedureCase


@tagged("post_install", "-at_install")
class TestPortalTracking(OrderProcedureCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env,
            "omp_portal_customer",
            "base.group_portal",
            password="omp_portal_pw",
        )
        cls.portal_user.partner_id.write(
            {
                "street": "9 Jiefang Road",
                "city": "Wuhan",
                "zip": "430000",
                "country_id": cls.env.ref("base.cn").id,
                "phone": "+86 27 8765 4321",
            }
        )
        cls.other_portal_user = new_test_user(
            cls.env, "omp_portal_other", "base.group_portal", password="omp_portal_pw2"
        )

    def _shipped_order(self):
        order = self._create_reviewed_order(
            [(self.product_in_stock, 1)], partner_id=self.portal_user.partner_id.id
        )
        delivery = self._ship(order)
        self.env["stock.picking.logistics.event"].create(
            {
                "picking_id": delivery.id,
                "event_type": "delayed",
                "description": "Held by the typhoon in Xiamen",
            }
        )
        return order

    def test_customer_sees_own_events_and_signs_off(self):
        order = self._shipped_order()
        self.authenticate("omp_portal_customer", "omp_portal_pw")
        page = self.url_open(f"/my/orders/{order.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Delivery Tracking", page.text)
        self.assertIn("Held by the typhoon in Xiamen", page.text)
        self.assertIn("I received the goods", page.text)

        response = self.url_open(
            f"/my/orders/{order.id}/sign_off",
            data={"csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(order.procedure_stage, "completed")

    def test_other_customer_sees_nothing(self):
        order = self._shipped_order()
        self.authenticate("omp_portal_other", "omp_portal_pw2")
        page = self.url_open(f"/my/orders/{order.id}")
        self.assertNotIn("Held by the typhoon in Xiamen", page.text)
        self.url_open(
            f"/my/orders/{order.id}/sign_off",
            data={"csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(order.procedure_stage, "shipped")

    def test_customer_reports_damage_with_evidence(self):
        order = self._shipped_order()
        self.authenticate("omp_portal_customer", "omp_portal_pw")
        page = self.url_open(
            f"/my/orders/{order.id}/abnormal_receipt",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "reason": "The chair arrived without wheels",
            },
        )
        self.assertIn("Attach at least one photo or video", page.text)
        self.assertFalse(order.return_request_ids)

        page = self.url_open(
            f"/my/orders/{order.id}/abnormal_receipt",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "reason": "The chair arrived without wheels",
                "request_type": "exchange",
            },
            files={"evidence": ("chair.png", PHOTO, "image/png")},
        )
        self.assertIn("Your report was received", page.text)
        request = order.return_request_ids
        self.assertEqual(request.state, "submitted")
        self.assertEqual(request.request_type, "exchange")
        self.assertEqual(request.evidence_count, 1)

    def test_after_sales_window_on_the_portal(self):
        order = self._shipped_order()
        order.with_user(self.receiver).action_sign_off()
        self.authenticate("omp_portal_customer", "omp_portal_pw")
        page = self.url_open(f"/my/orders/{order.id}")
        self.assertIn("After-sales support until", page.text)
        self.assertIn("o_after_sales_deadline", page.text)

    def test_customer_opens_a_return_for_own_order_only(self):
        order = self._shipped_order()
        order.with_user(self.receiver).action_sign_off()
        self.authenticate("omp_portal_other", "omp_portal_pw2")
        self.url_open(
            f"/my/orders/{order.id}/return_request",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "product_id": self.product_in_stock.id,
                "quantity": "1",
            },
        )
        self.assertFalse(order.return_request_ids)

        self.authenticate("omp_portal_customer", "omp_portal_pw")
        page = self.url_open(f"/my/orders/{order.id}")
        self.assertIn("Return or exchange", page.text)
        page = self.url_open(
            f"/my/orders/{order.id}/return_request",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "product_id": self.product_in_stock.id,
                "quantity": "1",
                "request_type": "return",
                "reason": "Too big",
            },
        )
        self.assertIn("needs the product intact", page.text)
        self.assertFalse(order.return_request_ids)
        page = self.url_open(
            f"/my/orders/{order.id}/return_request",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "product_id": self.product_in_stock.id,
                "quantity": "1",
                "request_type": "return",
                "reason": "Too big",
                "condition_intact": "on",
                "condition_accessories": "on",
            },
        )
        request = order.return_request_ids
        self.assertEqual(request.state, "submitted")
        self.assertEqual(request.line_ids.quantity, 1)

    def test_sign_off_refused_message_on_the_portal(self):
        order = self._create_reviewed_order(
            [(self.product_in_stock, 1)], partner_id=self.portal_user.partner_id.id
        )
        self.authenticate("omp_portal_customer", "omp_portal_pw")
        page = self.url_open(
            f"/my/orders/{order.id}/sign_off",
            data={"csrf_token": http.Request.csrf_token(self)},
        )
        self.assertIn("Only shipped orders can be signed off", page.text)
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
