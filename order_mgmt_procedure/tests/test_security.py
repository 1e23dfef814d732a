from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestProcedureSecurity(OrderProcedureCase):
    def test_groups_imply_each_other(self):
        self.assertTrue(self.receiver.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(
            self.receiver.has_group("sales_team.group_sale_salesman_all_leads")
        )
        self.assertFalse(
            self.receiver.has_group("order_mgmt_procedure.group_order_reviewer")
        )
        self.assertTrue(
            self.reviewer.has_group("order_mgmt_procedure.group_order_receiver")
        )
        self.assertTrue(
            self.reviewer.has_group("sales_team.group_sale_salesman_all_leads")
        )
        self.assertTrue(
            self.manager.has_group("order_mgmt_procedure.group_order_reviewer")
        )
        privilege = self.env.ref(
            "order_mgmt_procedure.res_groups_privilege_order_procedure"
        )
        self.assertEqual(
            set(privilege.group_ids.mapped("name")),
            {"Order Receiver", "Order Reviewer", "Procedure Manager"},
        )

    def test_receiver_works_on_own_orders_reviewer_sees_all(self):
        own = self._create_order(
            [(self.product_in_stock, 1)], user=self.receiver, user_id=self.receiver.id
        )
        self.assertEqual(own.procedure_stage, "received")
        other = self._create_order(
            [(self.product_in_stock, 1)], user_id=self.manager.id
        )

        visible_to_receiver = (
            self.env["sale.order"]
            .with_user(self.receiver)
            .search([("id", "in", (own | other).ids)])
        )
        self.assertEqual(visible_to_receiver, own)
        with self.assertRaises(AccessError):
            other.with_user(self.receiver).read(["procedure_stage"])

        visible_to_reviewer = (
            self.env["sale.order"]
            .with_user(self.reviewer)
            .search([("id", "in", (own | other).ids)])
        )
        self.assertEqual(visible_to_reviewer, own | other)

    def test_stage_follows_deliveries_validated_by_warehouse_staff(self):
        order = self._create_confirmed_order([(self.product_in_stock, 2)])
        self._ship(order, user=self.warehouse_user)
        self.assertEqual(order.procedure_stage, "shipped")

    def test_only_admins_change_procedure_settings(self):
        for user in (self.receiver, self.reviewer, self.manager, self.warehouse_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.company.with_user(user).write({"after_sales_days": 60})
                with self.assertRaises(AccessError):
                    self.env["res.config.settings"].with_user(user).create(
                        {"after_sales_days": 60}
                    )
        self.assertEqual(self.company.after_sales_days, 30)

    def test_menus_by_role(self):
        root = self.env.ref("order_mgmt_procedure.menu_order_procedure_root")
        orders = self.env.ref("order_mgmt_procedure.menu_orders_by_procedure_stage")
        config = self.env.ref("order_mgmt_procedure.menu_order_procedure_config")

        def visible(user):
            return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

        for user in (self.receiver, self.reviewer, self.manager):
            with self.subTest(user=user.login):
                self.assertIn(root.id, visible(user))
                self.assertIn(orders.id, visible(user))
        self.assertNotIn(config.id, visible(self.receiver))
        self.assertNotIn(config.id, visible(self.reviewer))
        self.assertNotIn(root.id, visible(self.warehouse_user))
        self.assertNotIn(root.id, visible(self.accountant))
