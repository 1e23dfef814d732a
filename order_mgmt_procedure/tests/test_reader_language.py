"""Texts in the reader's language, whoever wrote them: what can be worded when
read is (checklist messages, activity titles); what is stored (chatter notes,
the tracking of scheduled actions) is in the company's language."""

from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestReaderLanguage(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        # A Chinese company: the procedure's stored texts are in Chinese.
        cls.company.partner_id.lang = "zh_CN"
        cls.zh_reviewer = new_test_user(
            cls.env,
            "omp_zh_reviewer",
            "order_mgmt_procedure.group_order_reviewer",
            lang="zh_CN",
        )
        # Who writes: an English-speaking receiver and reviewer, and the
        # scheduled actions' user.
        cls.odoobot = cls.env.ref("base.user_root")
        cls.odoobot.lang = "en_US"
        cls.reviewer.lang = "en_US"
        cls.cron_env = cls.env(
            user=cls.odoobot, context=dict(cls.env.context, lang="en_US")
        )

    def _as_zh(self, records):
        """``records`` as the Chinese-speaking reviewer's screens read them
        (the web client sends the user's language)."""
        return records.with_user(self.zh_reviewer).with_context(lang="zh_CN")

    def _english(self, records, user):
        return records.with_user(user).with_context(lang="en_US")

    def _notes(self, record):
        return record.message_ids.mapped("body")

    def test_checklist_and_review_activity_in_the_reader_language(self):
        order = self._create_order(
            [(self.product_in_stock, 1), (self.product_no_stock, 10)],
            user=self.receiver,
        )
        self.assertEqual(self.receiver.lang, "en_US")
        self._english(order, self.receiver).action_submit_review()
        stock = order.review_line_ids.filtered(lambda ln: ln.check_type == "stock")
        warehouse = self.warehouse.display_name
        self.assertEqual(
            self._english(stock, self.receiver).message,
            f"Only 0 of 10 Units of [T-LAMP] Lamp available in {warehouse}.",
        )

        lines = self._as_zh(order).review_line_ids
        by_type = {line.check_type: line for line in lines}
        self.assertIn("[T-LAMP] Lamp 在", by_type["stock"].message)
        self.assertIn("仅有 0", by_type["stock"].message)
        self.assertEqual(
            by_type["completeness"].message, "客户、地址、联系方式和商品明细均完整。"
        )
        self.assertIn("付款", by_type["payment_terms"].message)
        self.assertEqual(by_type["stock"].checked_by_label, "自动")
        self.assertEqual(by_type["manual"].rule_id.name, "已与客户确认产品规格")

        # The reviewer's activity: no summary stored, its type's name read in
        # the reader's language.
        activity = order.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertFalse(activity.summary)
        self.assertEqual(self._as_zh(activity).display_name, "订单审核")
        self.assertEqual(self._as_zh(activity).activity_type_id.name, "订单审核")
        activity.invalidate_recordset(["display_name"])  # a new request
        self.assertEqual(
            self._english(activity, self.receiver).display_name, "Order Review"
        )

    def test_review_notes_in_the_company_language(self):
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self._english(order, self.receiver).action_submit_review()
        manual = order.review_line_ids.filtered(lambda ln: ln.check_type == "manual")
        self._english(manual, self.reviewer).action_mark_pass()
        self._english(order, self.reviewer).action_review_approve()
        notes = self._notes(order)
        self.assertTrue(
            any("已检查" in body and "已与客户确认产品规格" in body for body in notes),
            notes,
        )
        done = order.message_ids.filtered(
            lambda m: (
                m.mail_activity_type_id
                == self.env.ref("order_mgmt_procedure.mail_activity_type_order_review")
            )
        )
        self.assertIn("审核通过", done.body, "the feedback of the done activity")

    def test_scheduled_actions_write_in_the_company_language(self):
        """The scheduled actions run as OdooBot in English: their notes, the
        stage changes they record and their activities read in Chinese."""
        order = self._completed_order(days_ago=60)
        self.assertTrue(
            any("已签收" in body for body in self._notes(order)),
            "the English-speaking receiver's sign-off noted in Chinese",
        )
        self.cron_env["sale.order"]._cron_close_after_sales_windows()
        self.assertTrue(order.after_sales_closed)
        self.assertTrue(
            any("售后服务期已于" in body for body in self._notes(order)),
            self._notes(order),
        )

        request = self.env["order.return.request"].create(
            {"order_id": order.id, "reason": "Broken"}
        )
        request.write(
            {
                "state": "approved",
                "approved_by_id": self.manager.id,
                "deadline": fields.Date.today() - timedelta(days=1),
            }
        )
        self.cron_env["order.return.request"]._cron_flag_overdue()
        activity = request.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertFalse(activity.summary, "the title is the type's name")
        self.assertEqual(self._as_zh(activity).display_name, "退换货逾期")
        activity.invalidate_recordset(["display_name"])  # a new request
        self.assertEqual(
            self._english(activity, self.manager).display_name, "Return Overdue"
        )
        self.assertIn("应于", activity.note, "the stored note in Chinese")
        self.cron_env["order.return.request"]._cron_flag_overdue()
        self.assertEqual(len(request.activity_ids), 1, "flagged once")

    def test_stage_change_of_the_scheduled_action_tracked_in_the_company_language(
        self,
    ):
        order = self._create_reviewed_order([(self.product_no_stock, 2)])
        self.assertEqual(order.procedure_stage, "awaiting_replenishment")
        self.env["stock.quant"]._update_available_quantity(
            self.product_no_stock, self.stock_location, 5
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.cron_env["sale.order"].with_context(
            tracking_disable=False
        )._cron_check_stock()
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.assertEqual(order.procedure_stage, "awaiting_shipment")
        tracked = order.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "procedure_stage"
        )
        self.assertEqual(len(tracked), 1)
        self.assertEqual(tracked.old_value_char, "待补货")
        self.assertEqual(tracked.new_value_char, "待发货")

    def test_checklist_messages_read_in_one_batch(self):
        """The messages of many checklists cost the queries of one."""
        parts = [self._create_storable(f"Part {i}", f"T-P{i}", 0) for i in range(10)]
        orders = [
            self._submit(
                self._create_order(
                    [(part, 1) for part in parts[: 2 * (i + 1)]], user=self.receiver
                )
            )
            for i in range(5)
        ]
        counts = []
        # The first reading fills the registry's caches; one, then three.
        for checked in (orders[:1], orders[1:2], orders[2:]):
            lines = self.env["sale.order.review.line"].union(
                *(order.review_line_ids for order in checked)
            )
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            texts = dict(zip(lines, self._as_zh(lines).mapped("message"), strict=True))
            counts.append(self.env.cr.sql_log_count - before)
            stock = lines.filtered(lambda ln: ln.check_type == "stock")
            self.assertTrue(all("仅有" in texts[line] for line in stock))
        self.assertEqual(counts[1], counts[2], f"1 vs 3 checklists: {counts}")

    def test_update_brings_earlier_texts_along(self):
        """An update (data/mail_activity_type_data.xml) clears what earlier
        versions stored in their writer's language: the review activities'
        summary, the overdue to-dos, the user recorded for automatic checks."""
        review_type = self.env.ref(
            "order_mgmt_procedure.mail_activity_type_order_review"
        )
        review_type.with_context(lang="en_US").summary = "Review the order"
        review_type.with_context(lang="zh_CN").summary = "审核订单"
        order = self._submit(
            self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        )
        order.activity_ids.summary = "审核订单"
        stock = order.review_line_ids.filtered(lambda ln: ln.check_type == "stock")
        self.env.cr.execute(
            "UPDATE sale_order_review_line SET checked_by_id = %s WHERE id = %s",
            [self.receiver.id, stock.id],
        )
        request = self.env["order.return.request"].create(
            {"order_id": self._completed_order().id, "reason": "Broken"}
        )
        todo = request.activity_schedule(
            "mail.mail_activity_data_todo", summary="Overdue: due on 12/01/2026"
        )
        mine = request.activity_schedule(
            "mail.mail_activity_data_todo", summary="Call the customer"
        )

        self.env["sale.order"]._upgrade_review_texts()
        self.env["order.return.request"]._upgrade_overdue_activities()
        self.assertFalse(review_type.summary)
        self.assertFalse(order.activity_ids.summary)
        self.assertFalse(stock.checked_by_id)
        overdue = self.env.ref("order_mgmt_procedure.mail_activity_type_return_overdue")
        self.assertEqual(todo.activity_type_id, overdue)
        self.assertFalse(todo.summary)
        self.assertEqual(mine.summary, "Call the customer", "a user's to-do stays")
        self.assertEqual(
            mine.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
