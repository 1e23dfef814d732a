from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

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


@tagged("post_install", "-at_install")
class TestProcedureGuards(OrderProcedureCase):
    """What users may not do through the external API (XML-RPC / JSON-RPC call
    the same create, write and methods): refused, and nothing changes."""

    def _shipped_order(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        self._ship(order, user=self.warehouse_user)
        return order

    def test_quotation_created_approved_is_refused(self):
        Order = self.env["sale.order"].with_user(self.receiver)
        count = Order.search_count([])
        values = {
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": self.product_in_stock.id})],
        }
        with self.assertRefused(AccessError, "Review Status changes only through"):
            Order.create({**values, "review_state": "approved"})
        with self.assertRefused(AccessError, "Approved By changes only through"):
            Order.with_context(default_review_user_id=self.reviewer.id).create(values)
        self.assertEqual(Order.search_count([]), count, "nothing was created")
        # An order made by hand starts unreviewed, and Odoo's confirmation
        # refuses it.
        order = Order.create(values)
        self.assertEqual(order.review_state, "draft")
        with self.assertRefused(UserError, "must be approved in review"):
            order.action_confirm()

    def test_a_client_context_opens_no_gate(self):
        """The contexts the procedure's own steps use (modules' data loading,
        an online payment, an approval's confirmation) are no way around it
        for a client that sends them."""
        forged = [
            {"install_mode": True},
            {"order_review_paid_online": True},
            {"order_review_approval": {"review_state": "approved"}},
        ]
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        for context in forged:
            with self.subTest(context=context):
                with self.assertRefused(UserError, "must be approved in review"):
                    order.with_user(self.reviewer).with_context(
                        **context
                    ).action_confirm()
                self.assertEqual(order.state, "draft")
                self.assertEqual(order.review_state, "draft")
        with self.assertRefused(AccessError, "Review Status changes only through"):
            order.with_user(self.reviewer).with_context(
                order_review_approval={"review_state": "approved"}
            ).write({"review_state": "approved"})

        delivery = self._create_reviewed_order([(self.product_in_stock, 1)]).picking_ids
        delivery.move_ids.quantity = 1
        delivery.move_ids.picked = True
        with self.assertRefused(UserError, "have not been checked against the order"):
            delivery.with_user(self.warehouse_user).with_context(
                install_mode=True, skip_sms=True
            ).button_validate()
        self.assertEqual(delivery.state, "assigned")

        vendor = self.env["res.partner"].create({"name": "Fly-by-night Ltd"})
        purchase = self.env["purchase.order"].create(
            {
                "partner_id": vendor.id,
                "order_line": [
                    Command.create({"product_id": self.product_in_stock.id})
                ],
            }
        )
        with self.assertRefused(UserError, "Only qualified suppliers"):
            purchase.with_context(install_mode=True).button_confirm()
        self.assertEqual(purchase.state, "draft")

    def test_receiver_cannot_write_the_procedure_facts(self):
        order = self._shipped_order()
        mine = order.with_user(self.receiver)
        for field, value in (
            ("review_user_id", self.receiver.id),
            ("review_state", "draft"),
            ("completed_date", "2026-11-20 10:00:00"),
            ("after_sales_closed", True),
            ("priority_manual", "1"),
            ("cancel_logistics_stage", "delivered"),
        ):
            with self.subTest(field=field):
                with self.assertRefused(AccessError, "changes only through"):
                    mine.write({field: value})
        self.assertEqual(order.review_user_id, self.reviewer)
        self.assertFalse(order.completed_date)
        self.assertFalse(order.after_sales_closed)
        self.assertEqual(order.procedure_stage, "shipped")
        # Their own steps still write those facts.
        mine.action_sign_off()
        self.assertEqual(order.procedure_stage, "completed")

    def test_checklist_results_are_the_checks_own(self):
        order = self._submit(
            self._create_order([(self.product_no_stock, 3)], user=self.receiver)
        )
        stock = order.review_line_ids.filtered(lambda ln: ln.check_type == "stock")
        manual = order.review_line_ids.filtered(lambda ln: ln.check_type == "manual")
        for line in stock | manual:
            with self.assertRefused(AccessError, "changes only through"):
                line.with_user(self.reviewer).write({"result": "pass"})
        with self.assertRefused(AccessError, "changes only through"):
            manual.with_user(self.manager).write({"checked_by_id": self.manager.id})
        self.assertEqual(stock.result, "fail")
        self.assertEqual(set(manual.mapped("result")), {"pending"})

    def test_packing_check_is_the_warehouse_staffs(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = order.picking_ids
        with self.assertRefused(AccessError, "Only warehouse staff"):
            delivery.with_user(self.receiver).action_mark_packed()
        with self.assertRefused(AccessError, "Packing Checked changes only through"):
            delivery.with_user(self.warehouse_user).write({"packing_checked": True})
        self.assertFalse(delivery.packing_checked)
        delivery.with_user(self.warehouse_user).action_mark_packed()
        self.assertTrue(delivery.packing_checked)
        self.assertEqual(delivery.packing_checked_by_id, self.warehouse_user)

    def test_return_request_state_is_the_managers_decision(self):
        order = self._shipped_order()
        order.with_user(self.receiver).action_sign_off()
        Request = self.env["order.return.request"].with_user(self.receiver)
        values = {
            "order_id": order.id,
            "reason": "Wrong size",
            "condition_intact": True,
            "condition_accessories": True,
            "line_ids": [
                Command.create({"product_id": self.product_in_stock.id, "quantity": 1})
            ],
        }
        with self.assertRefused(AccessError, "changes only through"):
            Request.create({**values, "state": "approved"})
        request = Request.create(values)
        request.action_submit()
        for field, value in (
            ("state", "approved"),
            ("approved_by_id", self.receiver.id),
            ("deadline", "2030-01-01"),
        ):
            with self.subTest(field=field):
                with self.assertRefused(AccessError, "changes only through"):
                    request.write({field: value})
        for user in (self.receiver, self.reviewer, self.warehouse_user):
            with self.subTest(user=user.login):
                with self.assertRefused(AccessError, "Only procedure managers"):
                    request.with_user(user).action_approve()
        self.assertEqual(request.state, "submitted")
        self.assertFalse(request.return_picking_id)
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "approved")
        # Copying a request starts a new draft, not a second decision.
        self.assertEqual(request.copy().state, "draft")

    def test_odoo_cancel_of_a_confirmed_order_goes_through_the_refund_rules(self):
        order = self._shipped_order()
        for user in (self.receiver, self.manager):
            with self.subTest(user=user.login):
                with self.assertRefused(AccessError, "cancel it with Cancel"):
                    order.with_user(user).action_cancel()
        self.assertEqual(order.state, "sale")
        # Quotations are cancelled as in Odoo.
        quotation = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        quotation.with_user(self.receiver).action_cancel()
        self.assertEqual(quotation.state, "cancel")

    def test_cancelled_order_back_to_quotation_is_reviewed_again(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        order._action_cancel()
        order.with_user(self.receiver).action_draft()
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.review_state, "draft")
        self.assertFalse(order.review_user_id)
        self.assertFalse(order.review_line_ids)
        self.assertEqual(order.procedure_stage, "received")
        with self.assertRefused(UserError, "must be approved in review"):
            order.with_user(self.reviewer).action_confirm()

    def test_unlock_is_the_reviewers(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        order.action_lock()
        with self.assertRefused(AccessError, "Only order reviewers may unlock"):
            order.with_user(self.receiver).action_unlock()
        self.assertTrue(order.locked)
        order.with_user(self.reviewer).action_unlock()
        self.assertFalse(order.locked)

    def test_odoo_return_wizard_on_an_order_delivery_is_refused(self):
        order = self._shipped_order()
        delivery = order.picking_ids
        wizard = (
            self.env["stock.return.picking"]
            .with_user(self.warehouse_user)
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1
        with self.assertRefused(UserError, "come back through a return request"):
            wizard.action_create_returns()
        self.assertEqual(order.picking_ids, delivery, "no return was made")

    def test_refund_links_are_the_procedures(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        invoice = order._create_invoices()
        with self.assertRefused(AccessError, "changes only through"):
            invoice.with_user(self.accountant).write(
                {"procedure_refund_order_id": order.id}
            )
        self.assertFalse(order.refund_move_ids)

    def test_roles_through_the_methods(self):
        """Each role may only do what the README's roles table says."""
        confirmed = self._create_reviewed_order([(self.product_in_stock, 1)])
        salesman = new_test_user(
            self.env, "omp_guard_salesman", "sales_team.group_sale_salesman_all_leads"
        )
        with self.assertRefused(AccessError, "Only order or warehouse staff"):
            confirmed.with_user(salesman).action_check_stock()
        with self.assertRefused(AccessError, "changes only through"):
            confirmed.with_user(self.manager).write({"import_reference_key": "x/1"})
        self.assertIs(
            confirmed.with_user(self.warehouse_user).action_check_stock(), True
        )
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        for user in (self.warehouse_user, self.accountant):
            with self.subTest(user=user.login, step="submit"):
                with self.assertRaises(AccessError):
                    order.with_user(user).action_submit_review()
        self._submit(order)
        for user in (self.receiver, self.warehouse_user, self.accountant):
            with self.subTest(user=user.login, step="approve"):
                with self.assertRaises(AccessError):
                    order.with_user(user).action_review_approve()
        self.assertEqual(order.review_state, "to_review")


@tagged("post_install", "-at_install")
class TestUsersWithoutProcedureRole(OrderProcedureCase):
    """Odoo's own salespeople, Sales Administrators, inventory users and
    accountants without a procedure role open every screen the addon
    extends: what they may not read is left out, never refused."""

    def test_odoo_users_open_orders_and_deliveries(self):
        salesman = new_test_user(
            self.env, "omp_plain_salesman", "sales_team.group_sale_salesman"
        )
        sales_admin = new_test_user(
            self.env, "omp_plain_sales_admin", "sales_team.group_sale_manager"
        )
        order = self._create_order(
            [(self.product_in_stock, 1)], user=salesman, user_id=salesman.id
        )
        self._submit(order, user=self.reviewer)
        with Form(order.with_user(salesman)) as form:
            self.assertEqual(form.procedure_stage, "in_review")
            form.client_order_ref = "PO-PLAIN-1"
        self.assertEqual(order.client_order_ref, "PO-PLAIN-1")
        with Form(self.env["sale.order"].with_user(sales_admin)) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.product_in_stock
        self.assertEqual(form.record.procedure_stage, "received")

        shipped = self._create_reviewed_order([(self.product_in_stock, 1)])
        self._ship(shipped)
        # As in plain Odoo, an inventory user opens deliveries and an accountant
        # orders (Odoo's form of the order needs sales or invoicing rights).
        for user in (sales_admin, self.accountant):
            with self.subTest(user=user.login):
                Form(shipped.with_user(user))
                shipped.with_user(user).read(["procedure_stage", "priority_reason"])
        Form(shipped.picking_ids.with_user(self.warehouse_user))


@tagged("post_install", "-at_install")
class TestReceiverContacts(OrderProcedureCase):
    """Receivers take phone orders: they create customers and delivery
    addresses and correct them, so that the intake checks pass; the rest of
    contact management stays with Odoo's contact managers."""

    def test_receiver_creates_and_corrects_customers_and_addresses(self):
        Partner = self.env["res.partner"].with_user(self.receiver)
        customer = Partner.create(
            {
                "name": "Ningbo Harbour Trading",
                "is_company": True,
                "street": "8 Zhongshan Road",
                "city": "Ningbo",
                "zip": "315000",
                "country_id": self.env.ref("base.cn").id,
                "phone": "+86 574 8888 1234",
            }
        )
        address = Partner.create(
            {
                "name": "Ningbo Harbour Warehouse",
                "type": "delivery",
                "parent_id": customer.id,
                "street": "1 Beilun Port Road",
                "city": "Ningbo",
                "zip": "315800",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        self.assertEqual(address.commercial_partner_id, customer)
        self.assertEqual(customer.child_ids, address)
        address.write({"street": "3 Beilun Port Road"})
        self.assertEqual(address.street, "3 Beilun Port Road")
        with Form(customer) as form:
            form.phone = "+86 574 8888 5678"
        self.assertEqual(customer.phone, "+86 574 8888 5678")
        # Other customers of the company too: a phone order may come from any.
        self.customer.with_user(self.receiver).write({"zip": "310012"})
        self.assertEqual(self.customer.zip, "310012")

    def test_what_stays_with_contact_managers(self):
        customer = self.customer.with_user(self.receiver)
        key_account = self.env.ref("order_mgmt_procedure.partner_category_key_account")
        vendor = self.env["res.partner"].create({"name": "Suzhou Board Mill"})
        with self.assertRaises(AccessError):
            customer.unlink()
        with self.assertRefused(AccessError, "ask a contact manager"):
            customer.action_archive()
        with self.assertRefused(AccessError, "Tags"):
            customer.write({"category_id": [Command.link(key_account.id)]})
        with self.assertRefused(AccessError, "Tags"):
            self.env["res.partner"].with_user(self.receiver).create(
                {"name": "Self-made Key Account", "category_id": key_account.ids}
            )
        with self.assertRaises(AccessError):
            self.env["res.partner.category"].with_user(self.receiver).create(
                {"name": "VIP"}
            )
        with self.assertRaises(AccessError):
            self.env["res.partner.bank"].with_user(self.receiver).create(
                {"acc_number": "6222 0000 1111", "partner_id": customer.id}
            )
        with self.assertRefused(AccessError, "Qualified Supplier"):
            vendor.with_user(self.receiver).write({"supplier_qualified": True})
        with self.assertRefused(AccessError, "only contact managers"):
            self.company.partner_id.with_user(self.receiver).write({"street": "x"})
        with self.assertRaises(AccessError):
            self.reviewer.partner_id.with_user(self.receiver).write({"phone": "1"})
        self.assertTrue(customer.active)
        self.assertFalse(customer.category_id)
        self.assertFalse(vendor.supplier_qualified)

    def test_odoo_contact_rights_are_kept(self):
        """A receiver who also manages contacts in Odoo keeps all of it."""
        sales_admin = new_test_user(
            self.env,
            "omp_receiver_sales_admin",
            "order_mgmt_procedure.group_order_receiver,sales_team.group_sale_manager",
        )
        key_account = self.env.ref("order_mgmt_procedure.partner_category_key_account")
        self.customer.with_user(sales_admin).write(
            {"category_id": [Command.link(key_account.id)]}
        )
        self.assertEqual(self.customer.category_id, key_account)
        contacts_admin = new_test_user(
            self.env,
            "omp_receiver_contacts_admin",
            "order_mgmt_procedure.group_order_receiver,base.group_partner_manager",
        )
        self.customer.with_user(contacts_admin).action_archive()
        self.assertFalse(self.customer.active)
