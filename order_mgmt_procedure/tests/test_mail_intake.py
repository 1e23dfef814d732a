"""Orders by e-mail: raw RFC 822 messages through Odoo's own mail gateway
(``mail.thread.message_process``) to the company's order alias."""

import base64
import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from odoo import fields
from odoo.tests import tagged
from odoo.tools import html2plaintext

from .test_batch_import import HEADER, BatchImportCase, csv_file, xlsx_file

ALIAS_DOMAIN = "orders.example.com"
ALIAS = f"orders@{ALIAS_DOMAIN}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def raw_email(
    sender,
    subject="Order",
    text=None,
    html=None,
    files=(),
    date=None,
    headers=None,
    raw_subject=None,
    message_id=None,
):
    """An e-mail as the bytes a mail server hands to Odoo."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ALIAS
    if raw_subject:
        # An encoded word as the sender's mail program wrote it.
        message["Subject"] = raw_subject
    else:
        message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime.datetime.now(datetime.UTC))
    message["Message-Id"] = message_id or (
        f"<{datetime.datetime.now().timestamp()}.{id(message)}@sender.example>"
    )
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content, mimetype in files:
        if text is None and html is None and not message.is_multipart():
            message.set_content("")
        maintype, subtype = mimetype.split("/")
        message.add_attachment(
            content, maintype=maintype, subtype=subtype, filename=name
        )
    return message.as_bytes()


def encoded_word(text, charset):
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


@tagged("post_install", "-at_install")
class TestMailIntake(BatchImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {"name": ALIAS_DOMAIN, "bounce_alias": "bounce", "catchall_alias": "catch"}
        )
        cls.company.alias_domain_id = cls.alias_domain
        settings = cls.env["res.config.settings"].create(
            {"order_mail_alias_name": "orders"}
        )
        settings.execute()
        cls.customer.user_id = cls.receiver
        cls.distributor.email = "purchasing@yuanda-dist.example.cn"
        cls.distributor.user_id = cls.receiver
        cls.date = datetime.datetime(2026, 11, 30, 9, 15, tzinfo=datetime.UTC)

    def _process(self, raw):
        return self.env["mail.thread"].message_process(None, raw)

    def _counts(self):
        return (
            self.env["sale.order"].search_count([]),
            self.env["sale.order.line"].search_count([]),
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            self.env["ir.attachment"].search_count([("res_model", "=", "sale.order")]),
        )

    def _replies(self, address):
        return self.env["mail.mail"].search([("email_to", "ilike", address)])

    def _receiver_notes(self):
        return self.env["mail.message"].search(
            [("model", "=", False), ("subject", "like", "E-mail not turned into")]
        )

    def _email_activity(self, order):
        return order.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("order_mgmt_procedure.mail_activity_type_order_email")
            )
        )

    def _template_rows(self, *refs):
        rows = [HEADER]
        for ref in refs:
            rows.append([ref, "T-DIST-01", "T-CAB", 3, 120, None, "no", None, None])
            rows.append([ref, None, "T-LAMP", 1, None, None, None, None, None])
        return rows

    def assertNothingCreated(self, before):
        self.assertEqual(self._counts(), before, "nothing may be created")

    # === SETTINGS === #

    def test_alias_in_settings(self):
        alias = self.company.order_mail_alias_id
        self.assertEqual(alias.alias_full_name, ALIAS)
        self.assertEqual(alias.alias_model_id.model, "sale.order")
        self.assertEqual(alias.alias_contact, "everyone")
        self.assertEqual(alias.alias_defaults, repr({"company_id": self.company.id}))
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.order_mail_alias_name, "orders")
        self.assertEqual(settings.order_mail_alias_domain_id, self.alias_domain)
        settings.order_mail_alias_name = "dingdan"
        settings.execute()
        self.assertEqual(self.company.order_mail_alias_id, alias)
        self.assertEqual(alias.alias_full_name, f"dingdan@{ALIAS_DOMAIN}")
        settings = self.env["res.config.settings"].create({})
        settings.order_mail_alias_name = False
        settings.execute()
        self.assertFalse(self.company.order_mail_alias_id)
        self.assertFalse(alias.exists())

    # === QUOTATIONS FROM E-MAILS === #

    def test_plain_text_from_known_sender(self):
        raw = raw_email(
            "Li Ming <buyer@xinyu.example.com>",
            subject="Order for December",
            text="Please send 10 cabinets to our Hangzhou warehouse.",
            date=self.date,
        )
        order_id = self._process(raw)
        order = self.env["sale.order"].browse(order_id)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.order_channel, "email")
        self.assertEqual(order.procedure_stage, "received")
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.received_date, datetime.datetime(2026, 11, 30, 9, 15))
        self.assertEqual(order.create_uid, self.receiver, "the receiver made it")
        self.assertEqual(order.origin, "Order for December")
        self.assertFalse(order.order_line, "the receiver keys the lines in")
        email = order.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(email), 1)
        self.assertIn("10 cabinets", email.body)
        self.assertEqual(email.author_id, self.customer)
        activity = self._email_activity(order)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.receiver, "the customer's salesperson")
        self.assertFalse(self._replies("buyer@xinyu.example.com"))

    def test_html_gb18030_subject_with_pdf_matched_by_domain(self):
        subject = "采购订单：十二月"
        raw = raw_email(
            "王芳 <wang.fang@xinyu.example.com>",
            raw_subject=encoded_word(subject, "GB18030"),
            html="<p>请发货：<b>柜子 10 台</b></p>",
            files=[("采购单.pdf", b"%PDF-1.4 test", "application/pdf")],
            date=self.date,
        )
        order = self.env["sale.order"].browse(self._process(raw))
        self.assertEqual(order.partner_id, self.customer, "matched by the domain")
        self.assertEqual(order.origin, subject)
        email = order.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(email.subject, subject)
        self.assertIn("柜子 10 台", email.body)
        self.assertEqual(email.attachment_ids.mapped("name"), ["采购单.pdf"])
        self.assertEqual(email.attachment_ids.res_id, order.id)
        activity = self._email_activity(order)
        self.assertEqual(len(activity), 1)
        self.assertIn("xinyu.example.com", activity.note)
        self.assertIn("wang.fang@xinyu.example.com", activity.note)

    def test_public_mail_domain_is_not_a_customer(self):
        self.customer.email = "xinyu.buyer@163.com"
        before = self._counts()
        raw = raw_email(
            "Somebody <somebody@163.com>", text="10 cabinets please", date=self.date
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        self.assertFalse(self._replies("somebody@163.com"))
        self.assertEqual(len(self._receiver_notes()), 1)

    def test_unknown_sender_noted_for_receivers(self):
        before = self._counts()
        raw = raw_email(
            "New Buyer <buyer@unknown-company.example>",
            subject="First order",
            text="We would like 5 lamps.",
            files=[("po.pdf", b"%PDF-1.4 po", "application/pdf")],
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        self.assertFalse(
            self._replies("buyer@unknown-company.example"),
            "an unknown address is not answered automatically",
        )
        note = self._receiver_notes()
        self.assertEqual(len(note), 1)
        self.assertIn("not one of a customer", note.body)
        self.assertIn("5 lamps", note.body)
        self.assertEqual(note.attachment_ids.mapped("name"), ["po.pdf"])
        receiver = note.partner_ids.user_ids
        self.assertEqual(len(receiver), 1)
        self.assertTrue(receiver.has_group("order_mgmt_procedure.group_order_receiver"))

    # === TEMPLATE FILES === #

    def test_xlsx_template_imports_all_orders(self):
        before = self.env["sale.order"].search_count([])
        subject = "批量订单 十一月"
        raw = raw_email(
            "Yuanda <purchasing@yuanda-dist.example.cn>",
            raw_subject=encoded_word(subject, "UTF-8"),
            text="见附件。",
            files=[
                (
                    "orders.xlsx",
                    xlsx_file(self._template_rows("PO-7001", "PO-7002")),
                    XLSX,
                )
            ],
            date=self.date,
        )
        first = self.env["sale.order"].browse(self._process(raw))
        orders = self.env["sale.order"].search(
            [("client_order_ref", "in", ["PO-7001", "PO-7002"])], order="id"
        )
        self.assertEqual(self.env["sale.order"].search_count([]), before + 2)
        self.assertEqual(first, orders[0])
        self.assertEqual(set(orders.mapped("partner_id")), {self.distributor})
        self.assertEqual(set(orders.mapped("order_channel")), {"import"})
        self.assertEqual(set(orders.mapped("procedure_stage")), {"received"})
        self.assertEqual(
            set(orders.mapped("received_date")),
            {datetime.datetime(2026, 11, 30, 9, 15)},
        )
        self.assertEqual(set(orders.mapped("create_uid")), {self.receiver})
        self.assertEqual(len(orders[1].order_line), 2)
        email = first.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(email.subject, subject)
        self.assertEqual(email.attachment_ids.mapped("name"), ["orders.xlsx"])
        note = orders[1].message_ids.filtered(lambda m: "Imported from" in m.body)
        self.assertIn(f'data-oe-id="{first.id}"', note.body, "a link to the first")
        self.assertIn("purchasing@yuanda-dist.example.cn", note.body)
        activity = self._email_activity(first)
        self.assertEqual(len(activity), 1)
        self.assertIn("PO-7002", orders[1].client_order_ref)
        self.assertIn(orders[1].name, activity.note)
        self.assertFalse(self._email_activity(orders[1]), "one activity per e-mail")
        self.assertFalse(self._replies("purchasing@yuanda-dist.example.cn"))

    def test_csv_with_errors_refused_with_row_report(self):
        rows = self._template_rows("PO-7101", "PO-7102")
        rows[2][2] = "NOPE-9"
        rows[3][3] = 0
        before = self._counts()
        raw = raw_email(
            "purchasing@yuanda-dist.example.cn",
            subject="Orders",
            text="Attached.",
            files=[
                ("good.xlsx", xlsx_file(self._template_rows("PO-7103")), XLSX),
                ("orders.csv", csv_file(rows), "text/csv"),
            ],
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        self.assertFalse(
            self.env["sale.order"].search([("client_order_ref", "=", "PO-7103")]),
            "all files or none",
        )
        reply = self._replies("purchasing@yuanda-dist.example.cn")
        self.assertEqual(len(reply), 1)
        self.assertEqual(reply.subject, "Re: Orders")
        self.assertIn("orders.csv", reply.body_html)
        self.assertIn("Row 3, column C (Product)", reply.body_html)
        self.assertIn("NOPE-9", reply.body_html)
        self.assertIn("Row 4, column D (Quantity)", reply.body_html)
        self.assertNotIn("good.xlsx", reply.body_html)
        self.assertIn("'Auto-Submitted': 'auto-replied'", reply.headers)
        self.assertEqual(reply.email_from, f'"{self.company.name}" <{ALIAS}>')
        self.assertEqual(
            reply.attachment_ids.mapped("name"), ["order_import_template.xlsx"]
        )

    def test_chinese_sender_gets_chinese_report(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        self.distributor.lang = "zh_CN"
        rows = self._template_rows("PO-7201")
        rows[1][2] = "NOPE-9"
        raw = raw_email(
            "purchasing@yuanda-dist.example.cn",
            raw_subject=encoded_word("订单", "GB18030"),
            text="附件",
            files=[("订单.csv", csv_file(rows, "gb18030"), "application/octet-stream")],
        )
        self.assertFalse(self._process(raw))
        reply = self._replies("purchasing@yuanda-dist.example.cn")
        body = html2plaintext(reply.body_html)
        self.assertIn("未导入任何订单", body)
        self.assertIn('没有内部参考或条码为 "NOPE-9" 的产品', body)
        self.assertIn("我们收到了您的邮件", body)

    def test_file_for_another_customer_refused(self):
        rows = self._template_rows("PO-7301")
        rows.append(["PO-7302", "Hangzhou Xinyu Electronics", "T-CAB", 1])
        before = self._counts()
        raw = raw_email(
            "purchasing@yuanda-dist.example.cn",
            text="Orders",
            files=[("orders.csv", csv_file(rows), "text/csv")],
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        reply = self._replies("purchasing@yuanda-dist.example.cn")
        self.assertIn(
            "Order PO-7302 is for Hangzhou Xinyu Electronics", reply.body_html
        )

    def test_spreadsheet_not_in_template_refused(self):
        before = self._counts()
        raw = raw_email(
            "buyer@xinyu.example.com",
            text="Our purchase order",
            files=[("po.csv", csv_file([["Item", "Qty"], ["Cabinet", 3]]), "text/csv")],
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        reply = self._replies("buyer@xinyu.example.com")
        self.assertIn("does not match the template", reply.body_html)
        self.assertIn("po.csv", reply.body_html)

    # === REFUSALS === #

    def test_empty_email_answered(self):
        before = self._counts()
        raw = raw_email("buyer@xinyu.example.com", subject="Order", text="  \n")
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        reply = self._replies("buyer@xinyu.example.com")
        self.assertEqual(len(reply), 1)
        self.assertIn("has no text and no file", reply.body_html)

    def test_huge_attachment_refused(self):
        self.company.batch_import_max_size_mb = 1
        before = self._counts()
        raw = raw_email(
            "buyer@xinyu.example.com",
            text="See the scan",
            files=[("scan.pdf", b"%PDF" + b"0" * (1536 * 1024), "application/pdf")],
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        reply = self._replies("buyer@xinyu.example.com")
        self.assertIn("scan.pdf is 1.5 MB", reply.body_html)
        self.assertFalse(reply.attachment_ids)

    # === LOOPS === #

    def test_auto_generated_email_never_answered(self):
        rows = self._template_rows("PO-7401")
        rows[1][2] = "NOPE-9"
        before = self._counts()
        raw = raw_email(
            "purchasing@yuanda-dist.example.cn",
            text="Generated by our ERP",
            files=[("orders.csv", csv_file(rows), "text/csv")],
            headers={"Auto-Submitted": "auto-generated"},
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        self.assertFalse(self._replies("purchasing@yuanda-dist.example.cn"))
        note = self._receiver_notes()
        self.assertEqual(len(note), 1)
        self.assertIn("NOPE-9", note.body)

    def test_auto_generated_order_still_received(self):
        raw = raw_email(
            "buyer@xinyu.example.com",
            text="PO 55: 3 cabinets",
            headers={"Auto-Submitted": "auto-generated"},
        )
        order = self.env["sale.order"].browse(self._process(raw))
        self.assertEqual(order.order_channel, "email")

    def test_auto_replies_ignored(self):
        before = self._counts()
        for headers in (
            {"Auto-Submitted": "auto-replied"},
            {"Precedence": "bulk"},
            {"X-Autoreply": "yes"},
        ):
            raw = raw_email(
                "buyer@xinyu.example.com",
                subject="Out of office",
                text="I am away until Monday.",
                headers=headers,
            )
            self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        self.assertFalse(self._replies("buyer@xinyu.example.com"))
        self.assertFalse(self._receiver_notes())

    def test_same_email_twice_processed_once(self):
        raw = raw_email(
            "buyer@xinyu.example.com", text="3 cabinets", message_id="<once@x.example>"
        )
        self.assertTrue(self._process(raw))
        self.assertFalse(self._process(raw), "Odoo's duplicate check stays on")

    def test_future_date_is_now(self):
        future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
        raw = raw_email("buyer@xinyu.example.com", text="3 cabinets", date=future)
        order = self.env["sale.order"].browse(self._process(raw))
        self.assertLessEqual(order.received_date, fields.Datetime.now())

    def test_receiver_who_may_make_the_customers_orders(self):
        """The customer's salesperson is no receiver: the activity goes to a
        receiver whom Odoo lets make orders of another salesperson's customer
        (not one who sees their own orders only), who creates the quotation
        with their own rights."""
        self.customer.user_id = self.warehouse_user
        raw = raw_email("buyer@xinyu.example.com", text="3 cabinets")
        order = self.env["sale.order"].browse(self._process(raw))
        activity = self._email_activity(order)
        self.assertEqual(len(activity), 1)
        self.assertNotEqual(activity.user_id, self.receiver)
        self.assertTrue(
            activity.user_id.has_group("sales_team.group_sale_salesman_all_leads")
        )
        self.assertEqual(order.create_uid, activity.user_id)

    def test_loop_protection_counts_email_quotations(self):
        self.env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", 2)
        for number in range(2):
            raw = raw_email("buyer@xinyu.example.com", text=f"order {number}")
            self.assertTrue(self._process(raw))
        before = self._counts()
        raw = raw_email("buyer@xinyu.example.com", text="order 3")
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)

    def test_employee_is_no_customer(self):
        """An employee writing (or forwarding) to the order address: no order
        for the company's own people, the receivers get the e-mail."""
        self.reviewer.email = "reviewer@mycompany.example.com"
        before = self._counts()
        raw = raw_email(
            "reviewer@mycompany.example.com", text="Fwd: 3 cabinets for Xinyu"
        )
        self.assertFalse(self._process(raw))
        self.assertNothingCreated(before)
        self.assertEqual(len(self._receiver_notes()), 1)
