import re

import polib

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import file_path
from odoo.tools.translate import TranslationModuleReader, translation_file_reader

PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%\(\w+\)\.\d+f|%[sd]|\{\w*\}")

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What is not text in a translation: placeholders, markup tags (QWeb
# attributes included), inline template expressions, URLs, e-mail
# addresses, and the ':' or ',' of a time or a number (10:30, 1,000).
NOT_TEXT = re.compile(
    r"\{\{.*?\}\}|<[^<>]*>|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdfirx]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdfirx%]|\{\w*(?:![rsa])?(?::[^{}]*)?\}"
    r"|(?:https?|ftp)://[^\s<>\"']+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<=\d)[:,](?=\d)"
)
# In Chinese text these are written full-width: ：，；？！（）“”.
ASCII_MARKS = re.compile(r"[:,;?!()\"]")


@tagged("post_install", "-at_install")
class TestChineseTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        cls.env_zh = cls.env(context=dict(cls.env.context, lang="zh_CN"))

    def test_every_term_of_the_addon_is_translated(self):
        """What Odoo itself exports for the addon in zh_CN (field labels,
        selections, help, menus, views, mail templates, report, code
        messages): every term has a translation with the same placeholders."""
        # Odoo reports a translation equal to its source as missing: the
        # catalog's deliberate ones ("ID", codes) are kept as they are.
        catalog = file_path("order_mgmt_procedure/i18n/zh_CN.po")
        with open(catalog, "rb") as handle:
            identical = {
                entry["src"]
                for entry in translation_file_reader(handle, fileformat="po")
                if entry["src"] == entry["value"]
            }
        untranslated, placeholders = [], []
        terms = TranslationModuleReader(
            self.env.cr, modules=["order_mgmt_procedure"], lang="zh_CN"
        )
        count = 0
        for __, kind, name, __, source, value, __ in terms:
            count += 1
            if not (value or "").strip() and source not in identical:
                untranslated.append(f"{kind} {name}: {source!r}")
            elif value and set(PLACEHOLDER.findall(source)) != set(
                PLACEHOLDER.findall(value)
            ):
                placeholders.append(f"{source!r} -> {value!r}")
        self.assertGreater(count, 500, "the addon's terms were exported")
        self.assertEqual(untranslated, [], "terms without a Chinese translation")
        self.assertEqual(placeholders, [], "translations with other placeholders")

    def test_chinese_text_has_full_width_punctuation(self):
        """Every translation with Chinese characters, once its placeholders,
        markup, template expressions, URLs, e-mail addresses and numbers
        (10:30, 1,000) are set aside, has no ASCII : , ; ? ! ( ) or "
        left: Chinese text writes them ：，；？！（）“”. A report's file name
        is a Python expression, not text."""
        catalog = polib.pofile(file_path("order_mgmt_procedure/i18n/zh_CN.po"))
        wrong = []
        for entry in catalog:
            if not HAN.search(entry.msgstr) or any(
                "print_report_name" in reference for reference, __ in entry.occurrences
            ):
                continue
            text = NOT_TEXT.sub(" ", entry.msgstr)
            if ASCII_MARKS.search(text):
                wrong.append(entry.msgstr)
        self.assertEqual(wrong, [], "Chinese text with ASCII punctuation")

    def test_stage_timeline_labels(self):
        """The timeline's dates are when the order entered and left the
        stage, not the sender (发件人) and recipient (至) of a label."""
        History = self.env_zh["sale.order.stage.history"]
        labels = {
            name: History._fields[name]._description_string(self.env_zh)
            for name in ("date_start", "date_end")
        }
        self.assertEqual(labels, {"date_start": "进入时间", "date_end": "离开时间"})

    def test_stages_use_the_regulation_words(self):
        stages = dict(
            self.env_zh["sale.order"]
            ._fields["procedure_stage"]
            ._description_selection(self.env_zh)
        )
        self.assertEqual(
            stages,
            {
                "received": "已接收",
                "in_review": "审核中",
                "returned": "退回修改",
                "pending": "待处理",
                "awaiting_replenishment": "待补货",
                "awaiting_shipment": "待发货",
                "shipped": "已发货",
                "completed": "已完成",
                "cancelled": "已取消",
            },
        )

    def test_roles_and_menu_in_chinese(self):
        receiver = self.env_zh.ref("order_mgmt_procedure.group_order_receiver")
        self.assertEqual(receiver.name, "订单接收员")
        menu = self.env_zh.ref("order_mgmt_procedure.menu_order_procedure_root")
        self.assertEqual(menu.name, "订单流程")
        analysis = self.env_zh.ref("order_mgmt_procedure.menu_procedure_analysis")
        self.assertEqual(analysis.name, "订单流程分析")

    def test_error_message_in_chinese(self):
        company = self.env_zh["res.company"].create({"name": "Ningbo Branch"})
        with self.assertRaises(ValidationError) as caught:
            company.after_sales_days = -5
        self.assertIn("售后服务期不能为负数", caught.exception.args[0])

    def test_intake_problems_in_chinese(self):
        receiver = new_test_user(
            self.env,
            "omp_zh_receiver",
            "order_mgmt_procedure.group_order_receiver",
            lang="zh_CN",
        )
        customer = self.env["res.partner"].create({"name": "散客"})
        order = self.env["sale.order"].create({"partner_id": customer.id})
        with self.assertRaises(UserError) as caught:
            # The web client sends the user's language in the context.
            order.with_user(receiver).with_context(lang="zh_CN").action_submit_review()
        self.assertEqual(
            caught.exception.args[0],
            f"{order.name} 无法提交审核：\n"
            "- 收货地址 散客 缺少：街道、城市、国家。\n"
            "- 客户和收货联系人都没有电话或邮箱。\n"
            "- 订单没有商品明细。",
        )

    def test_return_mail_in_the_customer_language(self):
        customer = self.env["res.partner"].create(
            {
                "name": "杭州新宇电子",
                "email": "buyer@xinyu.example.com",
                "lang": "zh_CN",
            }
        )
        order = self.env["sale.order"].create({"partner_id": customer.id})
        order._return_for_revision("请确认桌面尺寸。")
        mail = order.message_ids.filtered(lambda m: customer in m.partner_ids)
        self.assertEqual(
            mail.subject, f"{order.company_id.name}：您的订单 {order.name} 需要修改"
        )
        self.assertIn("您好", mail.body)
        self.assertIn("请确认桌面尺寸。", mail.body)
