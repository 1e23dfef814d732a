import shutil
import subprocess
import unicodedata
from datetime import timedelta

from lxml import etree

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

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
        # Queued at validation, sent by the scheduled action in batches (the
        # clerk does not wait for the e-mail to be rendered).
        self.assertTrue(delivery.shipping_notice_pending)
        self.assertFalse(self._shipping_mails(delivery))
        self.assertEqual(self.env["stock.picking"]._cron_send_shipping_notices(), 1)
        self.assertFalse(delivery.shipping_notice_pending)
        mail = self._shipping_mails(delivery)
        self.assertEqual(len(mail), 1)
        self.assertIn("has shipped", mail.subject)
        self.assertIn("SF998877", mail.body)
        self.assertIn("https://track.example.com/SF998877", mail.body)
        self.assertIn("SF Express", mail.body)
        self.assertEqual(self._queued_mails(delivery).recipient_ids, self.customer)
        self.assertEqual(
            self.env["stock.picking"]._cron_send_shipping_notices(), 0, "sent once"
        )

    def _shipping_mails(self, delivery):
        """The shipping e-mails on the delivery's chatter."""
        return delivery.message_ids.filtered(
            lambda m: "has shipped" in (m.subject or "")
        )

    def _queued_mails(self, delivery):
        return self.env["mail.mail"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", delivery.id)]
        )

    def test_shipping_emails_of_several_deliveries_in_one_batch(self):
        orders = self.env["sale.order"].browse(
            [
                self._create_reviewed_order([(self.product_in_stock, 1)]).id
                for __ in range(3)
            ]
        )
        deliveries = self._delivery(orders).with_user(self.warehouse_user)
        deliveries.action_mark_packed()
        for move in deliveries.move_ids:
            move.quantity = move.product_uom_qty
        deliveries.move_ids.picked = True
        deliveries.with_context(skip_sms=True).button_validate()
        self.assertTrue(all(deliveries.mapped("shipping_notice_pending")))
        sent = self.env["stock.picking"]._cron_send_shipping_notices(batch_size=2)
        self.assertEqual(sent, 3)
        for delivery in deliveries:
            self.assertEqual(len(self._shipping_mails(delivery)), 1)
            self.assertIn(delivery.name, self._shipping_mails(delivery).body)
            self.assertEqual(
                self._queued_mails(delivery).recipient_ids,
                delivery.sale_id.partner_id,
            )

    def test_odoo_delivery_confirmation_tells_the_customer(self):
        """A company sending Odoo's own delivery confirmation e-mail tells
        the customer with it: the procedure's is not sent as well."""
        self.company.stock_move_email_validation = True
        self.customer.email = "customer@example.com"
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._delivery(order)
        delivery.with_user(self.warehouse_user).action_mark_packed()
        before = delivery.message_ids
        self._validate(delivery)
        self.assertFalse(delivery.shipping_notice_pending)
        self.assertEqual(self.env["stock.picking"]._cron_send_shipping_notices(), 0)
        emails = (delivery.message_ids - before).filtered(
            lambda m: self.customer in m.partner_ids
        )
        self.assertEqual(len(emails), 1, "one e-mail: Odoo's")
        self.assertFalse(self._shipping_mails(delivery))

    def test_shipping_notice_is_the_procedures_to_write(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._delivery(order).with_user(self.warehouse_user)
        with self.assertRefused(AccessError, "Validate"):
            delivery.write({"shipping_notice_pending": True})

    def _visible_outside_pages(self, record, field_name):
        """Whether the form shows ``field_name`` of ``record`` outside the
        notebook's pages (its main page), as the web client evaluates the
        ``invisible`` of the field and of the groups around it."""
        views = record.get_views([(False, "form")])
        arch = etree.fromstring(views["views"]["form"]["arch"])
        values = {}
        for name in views["models"][record._name]["fields"]:
            value = record[name]
            values[name] = value.ids if isinstance(value, models.BaseModel) else value
        nodes = arch.xpath(f"//field[@name='{field_name}'][not(ancestor::notebook)]")
        return any(
            not any(
                safe_eval(element.get("invisible", "False"), dict(values))
                for element in (node, *node.iterancestors())
            )
            for node in nodes
        )

    def test_carrier_and_tracking_on_the_main_page(self):
        """With the shipping checks on, the clerk fills carrier and tracking
        number on the delivery's main page, beside the packing check; with
        them off, the form is Odoo's (both in Additional Info)."""
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._delivery(order).with_user(self.warehouse_user)
        self.assertTrue(self.company.packing_check_required)
        for field_name in (
            "carrier_id",
            "carrier_tracking_ref",
            "expected_delivery_date",
            "packing_checked",
        ):
            with self.subTest(field_name=field_name):
                self.assertTrue(self._visible_outside_pages(delivery, field_name))

        with Form(delivery) as form:
            form.carrier_id = self.carrier
            form.carrier_tracking_ref = "SF4321"
        self.assertEqual(delivery.carrier_tracking_ref, "SF4321")
        delivery.action_mark_packed()
        self._validate(delivery)
        self.assertEqual(delivery.state, "done")

        self.company.packing_check_required = False
        other = self._delivery(
            self._create_reviewed_order([(self.product_in_stock, 1)])
        ).with_user(self.warehouse_user)
        for field_name in ("carrier_id", "carrier_tracking_ref"):
            with self.subTest(field_name=field_name, checks="off"):
                self.assertFalse(self._visible_outside_pages(other, field_name))
        receipt = self.env["stock.picking"].create(
            {"picking_type_id": self.warehouse.in_type_id.id}
        )
        self.assertFalse(self._visible_outside_pages(receipt, "carrier_id"))

    def test_expected_date_proposed_without_carrier(self):
        promised = fields.Datetime.now() + timedelta(days=6)
        order = self._create_reviewed_order(
            [(self.product_in_stock, 1)], commitment_date=promised
        )
        delivery = self._delivery(order)
        self.assertFalse(delivery.carrier_id)
        self.assertEqual(
            delivery.expected_delivery_date,
            fields.Date.context_today(delivery, promised),
            "the date promised to the customer",
        )
        delivery.scheduled_date = fields.Datetime.now() + timedelta(days=2)
        self.assertEqual(
            delivery.expected_delivery_date,
            fields.Date.context_today(delivery, promised),
            "the promise, not the day it ships",
        )

        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._delivery(order).with_user(self.warehouse_user)
        today = fields.Date.context_today(delivery)
        scheduled = fields.Date.context_today(delivery, delivery.scheduled_date)
        self.assertEqual(delivery.expected_delivery_date, scheduled)
        with Form(delivery) as form:

            def expected():
                return fields.Date.to_date(form.expected_delivery_date)

            self.assertEqual(expected(), scheduled)
            form.scheduled_date = fields.Datetime.now() + timedelta(days=3)
            self.assertEqual(expected(), today + timedelta(days=3))
            form.carrier_id = self.carrier
            self.assertEqual(
                expected(),
                today + timedelta(days=3 + self.carrier.transit_days),
                "shipped on the scheduled day, then the carrier's transit days",
            )
        self.assertEqual(delivery.expected_delivery_date, today + timedelta(days=5))

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

    def _label_text(self, delivery, lang=None):
        """The text of the delivery's label PDF, as pdftotext reads it."""
        Report = self.env["ir.actions.report"]
        if Report.get_wkhtmltopdf_state() not in ("ok", "upgrade"):
            self.skipTest("wkhtmltopdf is not installed: the PDF cannot be made")
        pdftotext = shutil.which("pdftotext")
        if not pdftotext:
            self.skipTest(
                "pdftotext (Debian package poppler-utils) is not installed: the "
                "label's text cannot be read"
            )
        fc_list = shutil.which("fc-list")
        fonts = (
            fc_list
            and subprocess.run(
                [fc_list, ":lang=zh"], capture_output=True, check=False
            ).stdout.strip()
        )
        if not fonts:
            self.skipTest(
                "no CJK font is installed (Debian package fonts-noto-cjk): the "
                "label's Chinese cannot be printed"
            )
        pdf, report_type = Report.with_context(
            force_report_rendering=True, lang=lang or self.env.lang
        )._render_qweb_pdf(
            "order_mgmt_procedure.action_report_shipping_label", delivery.ids
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = subprocess.run(
            [pdftotext, "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        # The CJK fonts name some ideographs by the look-alike Kangxi radical
        # in the PDF's text (人 as U+2F08): NFKC reads them as the ideographs.
        return unicodedata.normalize("NFKC", text)

    def _labelled_delivery(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        self.customer.name = "杭州新宇电子有限公司"
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._delivery(order)
        delivery.write({"carrier_id": self.carrier.id, "carrier_tracking_ref": "SF77"})
        return delivery

    def test_shipping_label_pdf_in_chinese(self):
        """The label prints in the recipient's language, in Chinese
        characters, not as mojibake (the page has its charset and styles)."""
        delivery = self._labelled_delivery()
        self.customer.lang = "zh_CN"
        text = self._label_text(delivery, lang="en_US")
        for expected in (
            "收件人",
            "杭州新宇电子有限公司",
            "寄件人",
            "物流单号",
            "SF77",
        ):
            with self.subTest(expected=expected):
                self.assertIn(expected, text)
        self.assertNotIn("Ship to", text)
        self.assertNotIn("æ", text)

        # A recipient without a language: the reader's.
        self.customer.lang = False
        text = self._label_text(delivery, lang="zh_CN")
        self.assertIn("收件人", text)
        self.assertIn("杭州新宇电子有限公司", text)

    def test_shipping_label_pdf_in_english(self):
        delivery = self._labelled_delivery()
        self.customer.lang = "en_US"
        text = self._label_text(delivery, lang="zh_CN")
        for expected in ("Ship to", "Sender", "Tracking Number", "SF Express", "SF77"):
            with self.subTest(expected=expected):
                self.assertIn(expected.lower(), text.lower())
        self.assertIn("杭州新宇电子有限公司", text)
        self.assertNotIn("收件人", text)

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

    def _found_by_filter(self, model, filter_name, domain, user):
        """The records of ``domain`` that the search view's filter finds."""
        records = self.env[model].with_user(user)
        arch = records.get_views([(False, "search")])["views"]["search"]["arch"]
        [node] = etree.fromstring(arch).xpath(f"//filter[@name='{filter_name}']")
        return records.search(domain + safe_eval(node.get("domain")))

    def _exception_mails(self, delivery):
        """The customer's e-mails about the delivery's exceptions, oldest first."""
        return delivery.message_ids.filtered(
            lambda m: (
                self.customer in m.partner_ids
                and "news about the delivery" in (m.subject or "")
            )
        ).sorted("id")

    def test_exception_entered_in_the_logistics_tab_stays_open(self):
        """The clerk adds a line in the Logistics tab, changes its type to
        Delayed and saves: the exception is open, the customer hears of a
        problem being handled, and only Resolve closes it."""
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._ship(order)
        with Form(delivery.with_user(self.warehouse_user)) as form:
            with form.logistics_event_ids.new() as line:
                self.assertEqual(line.event_type, "in_transit")
                line.event_type = "delayed"
                self.assertTrue(line.is_exception)
                self.assertEqual(line.state, "open", "the state follows the type")
                line.description = "Held at customs"
        event = delivery.logistics_event_ids
        self.assertEqual(event.event_type, "delayed")
        self.assertEqual(event.state, "open")
        self.assertFalse(event.resolved_by_id)
        self.assertTrue(event.with_user(self.warehouse_user).can_resolve)
        self.assertTrue(order.logistics_exception)
        self.assertEqual(
            self._found_by_filter(
                "stock.picking.logistics.event",
                "open_exceptions",
                [("picking_id", "=", delivery.id)],
                self.warehouse_user,
            ),
            event,
            "listed under the open exceptions",
        )
        self.assertEqual(
            self._found_by_filter(
                "stock.picking",
                "logistics_exception",
                [("id", "=", delivery.id)],
                self.warehouse_user,
            ),
            delivery,
        )
        [told] = self._exception_mails(delivery)
        self.assertIn("has a problem, and we are handling it", told.body)
        self.assertNotIn("has been handled", told.body)

        with Form(delivery.with_user(self.warehouse_user)) as form:
            with form.logistics_event_ids.edit(0) as line:
                line.handling_note = "Customs cleared; delivery tomorrow."
        self.assertEqual(event.state, "open", "a note alone does not resolve")
        # Resolving is for who follows deliveries: over RPC an accountant is
        # refused by the method's write, not only by the screens.
        with self.assertRaises(AccessError):
            event.with_user(self.accountant).action_resolve()
        self.assertEqual(event.state, "open")
        event.with_user(self.warehouse_user).action_resolve()
        self.assertEqual(event.state, "resolved")
        self.assertEqual(event.resolved_by_id, self.warehouse_user)
        self.assertFalse(order.logistics_exception)
        self.assertFalse(
            self._found_by_filter(
                "stock.picking.logistics.event",
                "open_exceptions",
                [("picking_id", "=", delivery.id)],
                self.warehouse_user,
            )
        )
        handled = self._exception_mails(delivery)[1:]
        self.assertEqual(len(handled), 1)
        self.assertIn("has been handled", handled.body)
        self.assertIn("Customs cleared; delivery tomorrow.", handled.body)

    def test_exception_created_over_rpc_stays_open(self):
        """What the web client sends on save, and a client that sends the
        state itself: an exception starts open, only Resolve resolves it."""
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._ship(order).with_user(self.warehouse_user)
        delivery.web_save(
            {
                "logistics_event_ids": [
                    Command.create({"event_type": "damaged", "description": "Torn"})
                ]
            },
            {"logistics_event_ids": {"fields": {"state": {}}}},
        )
        event = delivery.logistics_event_ids
        self.assertEqual(event.state, "open")
        self.assertTrue(order.logistics_exception)
        Event = self.env["stock.picking.logistics.event"].with_user(self.warehouse_user)
        with self.assertRefused(AccessError, "changes only through the Resolve button"):
            Event.create(
                {"picking_id": delivery.id, "event_type": "lost", "state": "resolved"}
            )
        with self.assertRefused(AccessError, "changes only through the Resolve button"):
            event.with_user(self.warehouse_user).write({"state": "resolved"})
        with self.assertRefused(AccessError, "changes only through the Resolve button"):
            event.with_user(self.warehouse_user).write(
                {"resolved_date": fields.Datetime.now()}
            )
        self.assertEqual(event.state, "open")
        self.assertEqual(len(delivery.logistics_event_ids), 1)
        self.assertNotIn(
            "has been handled",
            "".join(self._exception_mails(delivery).mapped("body")),
        )

    def test_event_changed_to_an_exception_opens(self):
        order = self._create_reviewed_order([(self.product_in_stock, 1)])
        delivery = self._ship(order)
        event = (
            self.env["stock.picking.logistics.event"]
            .with_user(self.warehouse_user)
            .create({"picking_id": delivery.id, "event_type": "in_transit"})
        )
        self.assertEqual(event.state, "resolved")
        self.assertFalse(event.customer_notified)
        event.event_type = "lost"
        self.assertEqual(event.state, "open")
        self.assertTrue(order.logistics_exception)
        # Corrected after saving, it is handled as one entered as Lost.
        self.assertTrue(event.customer_notified, "the customer is told")
        self.assertIn(
            self.env.ref("order_mgmt_procedure.mail_activity_type_logistics_exception"),
            delivery.activity_ids.activity_type_id,
        )
        event.description = "Found later"
        self.assertEqual(
            len(delivery.activity_ids), 1, "one activity per exception, not per edit"
        )

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
