from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import PHOTO, OrderProcedureCase


@tagged("post_install", "-at_install")
class TestAbnormalReceipt(OrderProcedureCase):
    def _attachment(self, name, raw, mimetype):
        # Uploaded by the user reporting, as the web client does.
        return (
            self.env["ir.attachment"]
            .with_user(self.receiver)
            .create({"name": name, "raw": raw, "mimetype": mimetype})
        )

    def _wizard(self, order, user=None):
        action = order.with_user(user or self.receiver).action_report_abnormal_receipt()
        self.assertEqual(action["res_model"], "order.abnormal.receipt.wizard")
        return (
            self.env["order.abnormal.receipt.wizard"]
            .with_user(user or self.receiver)
            .with_context(**action["context"])
        )

    def test_refused_before_delivery(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        with self.assertRefused(UserError, "has not been delivered"):
            order.with_user(self.receiver).action_report_abnormal_receipt()

    def test_evidence_required_and_request_created(self):
        order = self._create_reviewed_order([(self.product_in_stock, 3)])
        delivery = self._ship(order)
        Wizard = self._wizard(order)

        wizard = Wizard.create({"reason": "Desk top cracked"})
        self.assertEqual(wizard.picking_id, delivery)
        with self.assertRefused(UserError, "Attach at least one photo or video"):
            wizard.action_report()
        wizard.attachment_ids = self._attachment("notes.txt", b"text", "text/plain")
        with self.assertRefused(UserError, "Attach at least one photo or video"):
            wizard.action_report()
        self.assertFalse(order.return_request_ids)

        photo = self._attachment("crack.png", PHOTO, "image/png")
        with Form(Wizard) as form:
            form.reason = "Desk top cracked; box crushed."
            form.request_type = "return"
            form.attachment_ids.add(photo)
        action = form.record.action_report()
        request = order.return_request_ids
        self.assertEqual(action["res_id"], request.id)
        self.assertEqual(request.state, "submitted")
        self.assertEqual(request.request_type, "return")
        self.assertEqual(request.picking_id, delivery)
        self.assertEqual(request.partner_id, self.customer)
        self.assertTrue(request.name.startswith("RMA/"))
        self.assertEqual(
            [(ln.product_id, ln.quantity) for ln in request.line_ids],
            [(self.product_in_stock, 3)],
        )
        self.assertEqual(request.evidence_count, 1)
        self.assertEqual((photo.res_model, photo.res_id), (request._name, request.id))
        self.assertIn("Abnormal receipt reported", order.message_ids[0].body)
        self.assertEqual(order.return_request_count, 1)

    def test_reason_required(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        self._ship(order)
        wizard = self._wizard(order).create(
            {
                "reason": "  ",
                "attachment_ids": [
                    Command.link(self._attachment("a.png", PHOTO, "image/png").id)
                ],
            }
        )
        with self.assertRefused(UserError, "Describe what is wrong"):
            wizard.action_report()

    def test_quantities_within_what_was_delivered(self):
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(order)
        Request = self.env["order.return.request"].with_user(self.receiver)

        def request(quantity):
            return Request.create(
                {
                    "order_id": order.id,
                    "reason": "Wrong colour",
                    "condition_intact": True,
                    "condition_accessories": True,
                    "line_ids": [
                        Command.create(
                            {
                                "product_id": self.product_in_stock.id,
                                "quantity": quantity,
                            }
                        )
                    ],
                }
            )

        with self.assertRefused(UserError, "between 0 and 2 can be returned"):
            request(3).action_submit()
        request(1.5).action_submit()
        with self.assertRefused(UserError, "between 0 and 0.5 can be returned"):
            request(1).action_submit()
        with self.assertRefused(UserError, "list the products"):
            Request.create({"order_id": order.id, "reason": "Nothing"}).action_submit()

    def test_accountant_cannot_open_requests(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        self._ship(order)
        with self.assertRaises(AccessError):
            self.env["order.return.request"].with_user(self.accountant).create(
                {"order_id": order.id, "reason": "x"}
            )

    def test_integrator_override_of_the_request(self):
        """A module adding to the request that Report makes."""
        Wizard = type(self.env["order.abnormal.receipt.wizard"])
        original = Wizard._prepare_request_vals

        def override(wizard):
            return {**original(wizard), "condition_accessories": True}

        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(order)
        wizard = self._wizard(order).create(
            {
                "reason": "Wrong colour",
                "attachment_ids": [
                    Command.link(self._attachment("a.png", PHOTO, "image/png").id)
                ],
            }
        )
        with patch.object(Wizard, "_prepare_request_vals", override):
            wizard.action_report()
        request = order.return_request_ids
        self.assertTrue(request.condition_accessories)
        self.assertEqual(request.line_ids.quantity, 2)
        self.assertEqual(request.state, "submitted")
