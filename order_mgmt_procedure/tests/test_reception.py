from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

from .common import OrderProcedureCase

# Rules, tags, currencies, partners: a fixed number whatever the number of
# orders.
QUERIES_TO_PRIORITIZE_ORDERS = 10


@tagged("post_install", "-at_install")
class TestReceptionChannel(OrderProcedureCase):
    def test_channel_defaults(self):
        taken_by_receiver = self._create_order(
            [(self.product_in_stock, 1)], user=self.receiver
        )
        self.assertEqual(taken_by_receiver.order_channel, "phone")

        portal = new_test_user(self.env, "omp_portal", "base.group_portal")
        # The shop and the portal create orders under sudo for their visitor.
        from_portal = (
            self.env["sale.order"]
            .with_user(portal)
            .sudo()
            .create({"partner_id": portal.partner_id.id})
        )
        self.assertEqual(from_portal.order_channel, "website")

        imported = self._create_order(
            [(self.product_in_stock, 1)], order_channel="import"
        )
        self.assertEqual(imported.order_channel, "import")

        with Form(self.env["sale.order"].with_user(self.receiver)) as form:
            form.partner_id = self.customer
            form.order_channel = "email"
            with form.order_line.new() as line:
                line.product_id = self.product_in_stock
        self.assertEqual(form.record.order_channel, "email")

    def test_filter_and_group_by_channel(self):
        by_mail = self._create_order(
            [(self.product_in_stock, 1)], order_channel="email"
        )
        by_phone = self._create_order([(self.product_in_stock, 1)])
        orders = by_mail | by_phone
        SaleOrder = self.env["sale.order"]
        self.assertEqual(
            SaleOrder.search(
                [("id", "in", orders.ids), ("order_channel", "=", "email")]
            ),
            by_mail,
        )
        groups = SaleOrder.formatted_read_group(
            [("id", "in", orders.ids)],
            groupby=["order_channel"],
            aggregates=["__count"],
        )
        self.assertEqual(
            {group["order_channel"]: group["__count"] for group in groups},
            {"phone": 1, "email": 1},
        )

    def test_received_date_set_at_creation_and_frozen_after_submission(self):
        before = fields.Datetime.now() - timedelta(seconds=1)
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self.assertGreaterEqual(order.received_date, before)

        yesterday = fields.Datetime.now() - timedelta(days=1)
        order.with_user(self.receiver).received_date = yesterday
        self.assertEqual(order.received_date, yesterday.replace(microsecond=0))

        with self.assertRefused(ValidationError, "cannot be in the future"):
            order.received_date = fields.Datetime.now() + timedelta(days=2)

        order.with_user(self.receiver).action_submit_review()
        with self.assertRefused(
            UserError, "cannot change once the order is submitted for review"
        ):
            order.with_user(self.reviewer).received_date = fields.Datetime.now()
        self.assertEqual(order.received_date, yesterday.replace(microsecond=0))


@tagged("post_install", "-at_install")
class TestIntakeChecks(OrderProcedureCase):
    def test_complete_order_is_submitted(self):
        order = self._create_order([(self.product_in_stock, 2)], user=self.receiver)
        self.assertIs(order.with_user(self.receiver).action_submit_review(), True)
        self.assertEqual(order.review_state, "to_review")
        self.assertEqual(order.procedure_stage, "in_review")

    def test_incomplete_order_lists_every_problem(self):
        customer = self.env["res.partner"].create(
            {"name": "Walk-in Customer", "country_id": self.env.ref("base.cn").id}
        )
        order = self._create_order(
            [(self.product_in_stock, 0), (self.service, 1)],
            user=self.receiver,
            partner_id=customer.id,
        )
        order.order_line[1].price_unit = 0
        with self.assertRaises(UserError) as caught:
            order.with_user(self.receiver).action_submit_review()
        self.assertEqual(
            caught.exception.args[0],
            f"{order.name} cannot be submitted for review:\n"
            "- The delivery address Walk-in Customer has no street, city, ZIP code.\n"
            "- No phone or e-mail for the customer or the delivery contact.\n"
            "- Line [T-CAB] Cabinet: the quantity must be greater than 0.\n"
            "- Line Assembly: no unit price.",
        )
        self.assertEqual(order.review_state, "draft")
        self.assertEqual(order.procedure_stage, "received")

    def test_order_without_lines_or_country(self):
        customer = self.env["res.partner"].create(
            {"name": "No Country Ltd", "street": "1 Main Street", "city": "Nowhere"}
        )
        order = self._create_order([], partner_id=customer.id, user=self.receiver)
        with self.assertRaises(UserError) as caught:
            order.with_user(self.receiver).action_submit_review()
        self.assertEqual(
            caught.exception.args[0],
            f"{order.name} cannot be submitted for review:\n"
            "- The delivery address No Country Ltd has no country.\n"
            "- No phone or e-mail for the customer or the delivery contact.\n"
            "- The order has no product line.",
        )

    def test_foreign_phone_and_bad_email(self):
        paris = self.env["res.partner"].create(
            {
                "name": "Boutique Lumière",
                "street": "5 rue de Rivoli",
                "city": "Paris",
                "zip": "75001",
                "country_id": self.env.ref("base.fr").id,
                "phone": "021 6288 1234",
                "email": "achats@@lumiere",
            }
        )
        order = self._create_order(
            [(self.product_in_stock, 1)], partner_id=paris.id, user=self.receiver
        )
        with self.assertRaises(UserError) as caught:
            order.with_user(self.receiver).action_submit_review()
        self.assertEqual(
            caught.exception.args[0],
            f"{order.name} cannot be submitted for review:\n"
            "- The phone number of Boutique Lumière is not valid for France: "
            "Impossible number 021 6288 1234: too many digits.\n"
            "- The e-mail address of Boutique Lumière is not valid: achats@@lumiere",
        )
        # The same number with its country prefix is a valid Chinese number.
        paris.write({"phone": "+86 21 6288 1234", "email": "achats@lumiere.fr"})
        order.with_user(self.receiver).action_submit_review()
        self.assertEqual(order.review_state, "to_review")

    def test_delivery_contact_is_checked_with_its_country(self):
        delivery = self.env["res.partner"].create(
            {
                "name": "Xinyu Warehouse",
                "type": "delivery",
                "parent_id": self.customer.id,
                "street": "99 Binjiang Road",
                "city": "Hangzhou",
                "zip": "310051",
                "country_id": self.env.ref("base.cn").id,
                "phone": "12345",
            }
        )
        order = self._create_order(
            [(self.product_in_stock, 1)],
            partner_shipping_id=delivery.id,
            user=self.receiver,
        )
        with self.assertRefused(
            UserError,
            "The phone number of Hangzhou Xinyu Electronics, Xinyu Warehouse is not "
            "valid for China: Invalid number 12345: probably incorrect prefix.",
        ):
            order.with_user(self.receiver).action_submit_review()

    def test_refusal_opens_the_contact_to_complete(self):
        """A phone clerk completes the contact from the refusal and submits."""
        customer = self.env["res.partner"].create(
            {"name": "Walk-in Customer", "country_id": self.env.ref("base.cn").id}
        )
        order = self._create_order(
            [(self.product_in_stock, 1)], user=self.receiver, partner_id=customer.id
        )
        with self.assertRaises(RedirectWarning) as caught:
            order.with_user(self.receiver).action_submit_review()
        self.assertIsInstance(caught.exception, UserError, "a refusal like any")
        message, action, button = caught.exception.args[:3]
        self.assertIn("has no street, city, ZIP code", message)
        self.assertEqual(str(caught.exception), message)
        self.assertEqual(button, "Open the Contact")
        self.assertEqual(
            (action["res_model"], action["res_id"], action["target"]),
            ("res.partner", customer.id, "new"),
        )
        self.assertEqual(
            caught.exception.context["exception_class"],
            "odoo.exceptions.RedirectWarning",
            "the web client shows the button",
        )
        with Form(customer.with_user(self.receiver)) as form:
            form.street = "12 Nanjing Road"
            form.city = "Shanghai"
            form.zip = "200001"
            form.phone = "+86 21 6288 1234"
        self.assertIs(order.with_user(self.receiver).action_submit_review(), True)
        self.assertEqual(order.review_state, "to_review")

    def test_refusal_names_the_contact_at_fault(self):
        address = self.env["res.partner"].create(
            {"name": "Site Office", "type": "delivery", "parent_id": self.customer.id}
        )
        order = self._create_order(
            [(self.product_in_stock, 1)],
            user=self.receiver,
            partner_shipping_id=address.id,
        )
        with self.assertRaises(RedirectWarning) as caught:
            order.with_user(self.receiver).action_submit_review()
        self.assertEqual(caught.exception.args[1]["res_id"], address.id)

        address.write(
            {
                "street": "2 Site Road",
                "city": "Hangzhou",
                "zip": "310000",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        self.customer.email = "buyer@@xinyu"
        with self.assertRaises(RedirectWarning) as caught:
            order.with_user(self.receiver).action_submit_review()
        self.assertEqual(caught.exception.args[1]["res_id"], self.customer.id)

    def test_refusal_without_contact_problem_is_plain(self):
        order = self._create_order([], user=self.receiver)
        other = self._create_order([], user=self.receiver)
        for orders in (order, order | other):
            with self.subTest(orders=orders.mapped("name")):
                with self.assertRaises(UserError) as caught:
                    orders.with_user(self.receiver).action_submit_review()
                self.assertNotIsInstance(caught.exception, RedirectWarning)
                self.assertIn("The order has no product line.", str(caught.exception))

    def test_warning_rule_does_not_block(self):
        self.env.ref("order_mgmt_procedure.review_rule_contact_format").blocking = False
        self.customer.email = "not-an-address"
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        order.with_user(self.receiver).action_submit_review()
        self.assertEqual(order.review_state, "to_review")
        self.assertIn(
            "not-an-address", order.message_ids[0].body, "the warning is in the chatter"
        )

    def test_archived_rule_is_not_checked(self):
        self.env.ref("order_mgmt_procedure.review_rule_contact_format").active = False
        self.customer.phone = "12345"
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        order.with_user(self.receiver).action_submit_review()
        self.assertEqual(order.review_state, "to_review")

    def test_who_and_what_can_be_submitted(self):
        salesman = new_test_user(
            self.env, "omp_salesman", "sales_team.group_sale_salesman"
        )
        order = self._create_order([(self.product_in_stock, 1)], user=salesman)
        with self.assertRaises(AccessError):
            order.with_user(salesman).action_submit_review()
        self.assertEqual(order.review_state, "draft")

        confirmed = self._create_confirmed_order([(self.product_in_stock, 1)])
        with self.assertRefused(UserError, "Only quotations that are new"):
            confirmed.with_user(self.reviewer).action_submit_review()

        order.with_user(self.reviewer).action_submit_review()
        with self.assertRefused(UserError, "Only quotations that are new"):
            order.with_user(self.reviewer).action_submit_review()


@tagged("post_install", "-at_install")
class TestPriority(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_account = cls.env.ref(
            "order_mgmt_procedure.partner_category_key_account"
        )
        cls.big_item = cls._create_storable("Server Rack", "T-RACK", 20)
        cls.big_item.list_price = 30000.0

    def test_normal_order(self):
        order = self._create_order([(self.product_in_stock, 1)])
        self.assertEqual(order.priority, "0")
        self.assertFalse(order.priority_reason)

    def test_each_rule_kind(self):
        large = self._create_order([(self.big_item, 2)])
        self.assertEqual(large.priority, "1")
        self.assertEqual(large.priority_reason, "Large order")

        self.customer.category_id = [Command.link(self.key_account.id)]
        contact = self.env["res.partner"].create(
            {"name": "Ms. Zhou", "parent_id": self.customer.id}
        )
        key = self._create_order([(self.product_in_stock, 1)], partner_id=contact.id)
        self.assertEqual(key.priority, "1")
        self.assertEqual(key.priority_reason, "Key account")

        rush = self._create_order(
            [(self.product_in_stock, 1)],
            partner_id=self.env.ref("base.res_partner_2").id,
        )
        self.assertEqual(rush.priority, "0")
        rush.is_rush = True
        self.assertEqual(rush.priority, "1")
        self.assertEqual(rush.priority_reason, "Rush order")

    def test_combined_rules_and_amount_changes(self):
        self.customer.category_id = [Command.link(self.key_account.id)]
        order = self._create_order([(self.big_item, 2)], is_rush=True)
        self.assertEqual(order.priority_reason, "Large order, Key account, Rush order")

        rule = self.env["order.priority.rule"].create(
            {
                "name": "Large key account",
                "sequence": 40,
                "min_amount": 10000,
                "partner_category_ids": [Command.link(self.key_account.id)],
            }
        )
        self.assertEqual(
            order.priority_reason,
            "Large order, Key account, Rush order, Large key account",
        )
        order.order_line.product_uom_qty = 1
        order.is_rush = False
        self.assertEqual(order.priority_reason, "Key account, Large key account")
        rule.min_amount = 40000
        self.assertEqual(order.priority_reason, "Key account")

    def test_company_specific_rule(self):
        other_company = self.env["res.company"].create({"name": "Xiamen Branch"})
        self.env["order.priority.rule"].create(
            {"name": "Xiamen rush", "rush_only": True, "company_id": other_company.id}
        )
        self.env.ref("order_mgmt_procedure.priority_rule_rush_order").active = False
        order = self._create_order([(self.product_in_stock, 1)], is_rush=True)
        self.assertEqual(order.priority, "0")

    def test_rule_needs_a_criterion(self):
        with self.assertRefused(ValidationError, "needs at least one criterion"):
            self.env["order.priority.rule"].create({"name": "Everything"})
        with self.assertRefused(ValidationError, "cannot be negative"):
            self.env["order.priority.rule"].create({"name": "Bad", "min_amount": -5})

    def test_only_managers_configure_rules(self):
        Rule = self.env["order.priority.rule"]
        self.assertTrue(Rule.with_user(self.receiver).search([]))
        for user in (self.receiver, self.reviewer):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Rule.with_user(user).create({"name": "Mine", "rush_only": True})
        rule = Rule.with_user(self.manager).create(
            {"name": "VIP rush", "rush_only": True}
        )
        self.assertEqual(rule.priority, "1")
        with self.assertRaises(AccessError):
            self.env.ref("order_mgmt_procedure.review_rule_completeness").with_user(
                self.reviewer
            ).blocking = False

    def test_reviewer_override_is_kept_and_tracked(self):
        env = self.env(context=dict(self.env.context, tracking_disable=False))
        order = self._create_order([(self.product_in_stock, 1)]).with_env(env)
        env.flush_all()
        env.cr.precommit.run()
        order.with_user(self.reviewer).priority = "1"
        self.assertEqual(order.priority, "1")
        self.assertEqual(order.priority_manual, "1")
        self.assertEqual(order.priority_reason, "Set by hand")
        order.order_line.product_uom_qty = 3
        self.assertEqual(order.priority, "1", "a manual priority survives changes")
        env.flush_all()
        env.cr.precommit.run()
        tracked = order.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "priority"
        )
        self.assertEqual(tracked.mapped("new_value_char"), ["Urgent"])
        self.assertEqual(tracked.mail_message_id.author_id, self.reviewer.partner_id)

        # Setting it back to what the rules say makes it automatic again.
        order.with_user(self.reviewer).priority = "0"
        self.assertFalse(order.priority_manual)
        order.is_rush = True
        self.assertEqual(order.priority, "1")

    def test_receiver_cannot_override(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self.assertFalse(order.with_user(self.receiver).can_override_priority)
        with self.assertRefused(AccessError, "Only order reviewers"):
            order.with_user(self.receiver).priority = "1"
        self.assertEqual(order.priority, "0")
        # Saving a form whose priority the rules computed is not an override.
        with Form(self.env["sale.order"].with_user(self.receiver)) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.big_item
                line.product_uom_qty = 2
            self.assertEqual(form.priority, "1")
        self.assertEqual(form.record.priority, "1")
        self.assertFalse(form.record.priority_manual)

    def test_priority_reaches_deliveries_and_follows_changes(self):
        order = self._create_confirmed_order([(self.big_item, 2)])
        delivery = order.picking_ids
        self.assertEqual(delivery.priority, "1")
        self.assertEqual(delivery.move_ids.mapped("priority"), ["1"])

        order.with_user(self.reviewer).priority = "0"
        self.assertEqual(delivery.priority, "0")
        self.assertEqual(delivery.move_ids.mapped("priority"), ["0"])

        normal = self._create_confirmed_order([(self.product_in_stock, 1)])
        self.assertEqual(normal.picking_ids.priority, "0")
        normal.partner_id.category_id = [Command.link(self.key_account.id)]
        self.assertEqual(normal.priority, "1")
        self.assertEqual(normal.picking_ids.priority, "1")

        normal.order_line.product_uom_qty = 2  # a line change keeps the star
        self.assertEqual(normal.picking_ids.priority, "1")
        self._ship(normal)
        normal.with_user(self.reviewer).priority = "0"
        self.assertEqual(normal.picking_ids.state, "done")

    def test_rule_change_reaches_open_deliveries(self):
        order = self._create_confirmed_order([(self.product_in_stock, 1)], is_rush=True)
        self.assertEqual(order.picking_ids.priority, "1")
        self.env.ref("order_mgmt_procedure.priority_rule_rush_order").active = False
        self.assertEqual(order.priority, "0")
        self.assertEqual(order.picking_ids.priority, "0")

    def test_urgent_order_is_reserved_first(self):
        lamp = self.product_no_stock
        normal = self._create_confirmed_order([(lamp, 5)])
        urgent = self._create_confirmed_order([(lamp, 5)], is_rush=True)
        self.assertEqual(urgent.priority, "1")
        self.assertEqual(normal.procedure_stage, "awaiting_replenishment")

        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "partner_id": self.env.ref("base.res_partner_2").id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": lamp.id,
                            "product_uom_qty": 5,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.stock_location.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = 5
        receipt.move_ids.picked = True
        receipt.button_validate()

        self.assertEqual(urgent.picking_ids.state, "assigned")
        self.assertEqual(urgent.procedure_stage, "awaiting_shipment")
        self.assertEqual(normal.picking_ids.state, "confirmed")
        self.assertEqual(normal.procedure_stage, "awaiting_replenishment")

    def test_priority_compute_queries_do_not_grow_with_orders(self):
        self.customer.category_id = [Command.link(self.key_account.id)]
        others = self.env["res.partner"].create(
            [{"name": f"Customer {i}"} for i in range(5)]
        )
        values = [
            {
                "partner_id": (others[i % 5] if i % 3 else self.customer).id,
                "is_rush": not i % 7,
                "order_line": [
                    Command.create({"product_id": self.product_in_stock.id})
                ],
            }
            for i in range(200)
        ]
        orders = self.env["sale.order"].create(values)
        expected = {order.id: order.priority for order in orders}
        self.assertEqual(set(expected.values()), {"0", "1"})
        for batch in (orders[:20], orders):
            self.env.invalidate_all()
            with self.assertQueryCount(QUERIES_TO_PRIORITIZE_ORDERS):
                self._recompute(batch, "priority")
            self.assertEqual(
                {o.id: o.priority for o in batch}, {o.id: expected[o.id] for o in batch}
            )
