import json

from odoo.tests import TransactionCase, tagged

SEED_PARAMETER = "order_mgmt_procedure.test_orders_before_install"


@tagged("post_install", "-at_install")
class TestStagesAtInstall(TransactionCase):
    """Orders that existed before the addon was installed get their stage at
    install time. The test command seeds confirmed, delivered and cancelled
    orders before installing the addon (scripts/seed_orders_before_install.py)
    and records them in a system parameter."""

    def test_orders_created_before_install_are_staged(self):
        seeded = self.env["ir.config_parameter"].sudo().get_param(SEED_PARAMETER)
        if not seeded:
            self.skipTest("database created without the pre-install seed")
        for expected_stage, order_id in json.loads(seeded).items():
            order = self.env["sale.order"].browse(order_id)
            with self.subTest(stage=expected_stage):
                self.assertEqual(order.procedure_stage, expected_stage)
                # No stage was tracked before the module: one stay in the
                # stage since creation.
                self.assertEqual(
                    [
                        (h.stage, h.date_start, h.date_end)
                        for h in order.stage_history_ids
                    ],
                    [(expected_stage, order.create_date, False)],
                )

    def test_core_demo_orders_are_staged(self):
        """sale's own demo orders are loaded before this addon."""
        quotation = self.env.ref("sale.sale_order_1", raise_if_not_found=False)
        if not quotation:
            self.skipTest("no demo data")
        self.assertEqual(quotation.state, "draft")
        self.assertEqual(quotation.procedure_stage, "received")
        confirmed = self.env.ref("sale.sale_order_4")
        self.assertEqual(confirmed.state, "sale")
        self.assertIn(
            confirmed.procedure_stage,
            ("pending", "awaiting_replenishment", "awaiting_shipment"),
        )
        self.assertFalse(
            self.env["sale.order"].search_count([("procedure_stage", "=", False)])
        )
        # Their history starts when they were created, before the module.
        for order in (quotation, confirmed):
            first = order.stage_history_ids[:1]
            self.assertEqual(first.date_start, order.create_date)
        self.assertFalse(
            self.env["sale.order"].search_count([("stage_history_ids", "=", False)])
        )
