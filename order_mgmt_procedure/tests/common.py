import base64
from contextlib import contextmanager
from datetime import datetime, time, timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user

# A 1x1 PNG.
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class OrderProcedureCase(TransactionCase):
    """Users of every role, a customer, products with and without stock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # The shipping e-mails the database already queued (its demo data's
        # deliveries) are not the tests': only theirs are sent and counted.
        cls.env.cr.execute(
            "UPDATE stock_picking SET shipping_notice_pending = FALSE"
            " WHERE shipping_notice_pending"
        )
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id

        cls.receiver = new_test_user(
            cls.env, "omp_receiver", "order_mgmt_procedure.group_order_receiver"
        )
        cls.reviewer = new_test_user(
            cls.env, "omp_reviewer", "order_mgmt_procedure.group_order_reviewer"
        )
        cls.manager = new_test_user(
            cls.env, "omp_manager", "order_mgmt_procedure.group_procedure_manager"
        )
        cls.warehouse_user = new_test_user(
            cls.env, "omp_warehouse", "stock.group_stock_user"
        )
        cls.accountant = new_test_user(
            cls.env, "omp_accountant", "account.group_account_invoice"
        )

        cls.payment_terms = cls.env.ref("account.account_payment_term_30days")
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Hangzhou Xinyu Electronics",
                "property_payment_term_id": cls.payment_terms.id,
                "street": "18 Wensan Road",
                "city": "Hangzhou",
                "zip": "310013",
                "country_id": cls.env.ref("base.cn").id,
                "phone": "+86 571 8765 4321",
                "email": "buyer@xinyu.example.com",
            }
        )
        cls.product_in_stock = cls._create_storable("Cabinet", "T-CAB", 50)
        cls.product_no_stock = cls._create_storable("Lamp", "T-LAMP", 0)
        cls.service = cls.env["product.product"].create(
            {"name": "Assembly", "type": "service", "list_price": 40.0}
        )

    @classmethod
    def _create_storable(cls, name, code, quantity):
        product = cls.env["product.product"].create(
            {
                "name": name,
                "default_code": code,
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
            }
        )
        if quantity:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.stock_location, quantity
            )
        return product

    @classmethod
    def _set_office_calendar(cls):
        """The company works 9:00-12:00 and 13:00-18:00 in Shanghai (UTC+8, no
        summer time), Monday to Friday. ``cls.monday``: a Monday at midnight
        in Shanghai, as naive UTC, a week or more after the test starts (the
        transaction's clock dates the orders' creation)."""
        cls.office_calendar = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai office",
                "tz": "Asia/Shanghai",
                "company_id": cls.company.id,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"{day} {start}-{end}",
                            "dayofweek": str(day),
                            "hour_from": start,
                            "hour_to": end,
                            "day_period": "morning" if start < 12 else "afternoon",
                        }
                    )
                    for day in range(5)
                    for start, end in ((9, 12), (13, 18))
                ],
            }
        )
        cls.company.resource_calendar_id = cls.office_calendar
        today = cls.env.cr.now().date()
        monday = today + timedelta(days=7 + (7 - today.weekday()) % 7)
        cls.monday = datetime.combine(monday, time()) - timedelta(hours=8)

    def at(self, day, hour, minute=0):
        """Naive UTC of ``hour``:``minute`` in Shanghai, ``day`` days after
        ``self.monday`` (4: Friday, 7: the next Monday)."""
        return self.monday + timedelta(days=day, hours=hour, minutes=minute)

    @contextmanager
    def assertRefused(self, exception, message):
        """Like assertRaisesRegex, and rolls back what the refused call
        wrote, as the failed request would."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(message, caught.exception.args[0])

    def _recompute(self, records, *fnames):
        """Recompute stored fields the way the ORM does after a change."""
        for fname in fnames:
            self.env.add_to_compute(records._fields[fname], records)
        records.flush_recordset(list(fnames))

    def _create_order(self, lines, user=None, **values):
        """``lines``: list of (product, quantity)."""
        values = {
            "partner_id": self.customer.id,
            "warehouse_id": self.warehouse.id,
            "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": qty})
                for product, qty in lines
            ],
            **values,
        }
        env = self.env(user=user) if user else self.env
        return env["sale.order"].create(values)

    def _submit(self, order, user=None):
        order.with_user(user or self.receiver).action_submit_review()
        return order

    def _tick_manual_items(self, order, user=None):
        manual = order.review_line_ids.filtered(lambda ln: ln.check_type == "manual")
        manual.with_user(user or self.reviewer).action_mark_pass()

    def _create_reviewed_order(self, lines, **values):
        """An order taken by the receiver, submitted and approved by the
        reviewer: confirmed."""
        order = self._create_order(lines, user=self.receiver, **values)
        self._submit(order)
        self._tick_manual_items(order)
        order.with_user(self.reviewer).action_review_approve()
        return order.with_env(self.env)

    def _completed_order(self, days_ago=0):
        """Reviewed, shipped, signed off ``days_ago`` days ago."""
        order = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(order)
        order.with_user(self.receiver).action_sign_off()
        order.completed_date = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def _create_confirmed_order(self, lines, **values):
        order = self._create_order(lines, review_state="approved", **values)
        order.action_confirm()
        return order

    def _ship(self, order, user=None):
        """Validate every open outgoing delivery of the order, in full."""
        pickings = order.picking_ids.filtered(
            lambda p: (
                p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
            )
        )
        if user:
            pickings = pickings.with_user(user)
        pickings.filtered(lambda p: not p.packing_checked).action_mark_packed()
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        result = pickings.with_context(skip_sms=True).button_validate()
        self.assertIs(result, True, "the delivery should validate without a wizard")
        return pickings
