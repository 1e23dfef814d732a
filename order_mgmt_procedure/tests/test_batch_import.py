import base64
import csv
import datetime
import io
import zipfile
from unittest.mock import patch

import openpyxl
import xlwt

from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import OrderProcedureCase

try:
    from msoffcrypto.format.ooxml import OOXMLFile
except ImportError:  # the test command installs it; without it, one test skips
    OOXMLFile = None

HEADER = [
    "External Order Reference",
    "Customer",
    "Product",
    "Quantity",
    "Unit Price",
    "Discount (%)",
    "Rush",
    "Requested Date",
    "Note",
]
HEADER_ZH = [
    "外部订单号",
    "客户",
    "产品",
    "数量",
    "单价",
    "折扣(%)",
    "加急",
    "要求交货日期",
    "备注",
]
DELIVERY_HEADER = [
    "External Order Reference",
    "Customer",
    "Delivery Contact",
    "Delivery Phone",
    "Delivery Address",
    "Delivery City",
    "Delivery State",
    "Delivery Country",
    "Product",
    "Quantity",
]

# Queries to check a whole file: one per kind of lookup (and the templates of
# the products found), whatever its size.
QUERIES_TO_CHECK_A_FILE = 8
# Queries of one more order of two lines in an import: none, the orders'
# names are drawn from Odoo's sequence at once for a chunk of orders.
QUERIES_TO_CREATE_AN_ORDER = 0


def xlsx_file(rows, sheet_hook=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if sheet_hook:
        sheet_hook(sheet)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def xls_file(rows):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Orders")
    for row_index, row in enumerate(rows):
        for col_index, value in enumerate(row):
            if value is not None:
                sheet.write(row_index, col_index, value)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def csv_file(rows, encoding="utf-8", delimiter=","):
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=delimiter)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return stream.getvalue().encode(encoding)


class BatchImportCase(OrderProcedureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.distributor = cls.env["res.partner"].create(
            {
                "name": "Kunshan Yuanda Distribution",
                "ref": "T-DIST-01",
                "is_company": True,
                "street": "5 Renmin Road",
                "city": "Suzhou",
                "zip": "215000",
                "country_id": cls.env.ref("base.cn").id,
                "phone": "+86 512 6523 0000",
                "property_payment_term_id": cls.payment_terms.id,
            }
        )
        cls.customer.ref = "CUST-XY"
        cls.receiver_2 = new_test_user(
            cls.env, "omp_receiver_2", "order_mgmt_procedure.group_order_receiver"
        )
        cls.product_no_stock.barcode = "6901234567892"
        cls.next_date = datetime.date.today() + datetime.timedelta(days=10)
        cls.next_date_text = cls.next_date.isoformat()

    def _rows(self):
        """Two orders: T-DIST-01 with two lines, the customer with one."""
        return [
            HEADER,
            [
                "PO-1001",
                "T-DIST-01",
                "T-CAB",
                3,
                120,
                None,
                "yes",
                self.next_date_text,
                "Call first",
            ],
            ["PO-1001", None, "6901234567892", 2, None, 10, None, None, None],
            [
                "PO-1002",
                "Hangzhou Xinyu Electronics",
                "T-LAMP",
                1,
                99.5,
                None,
                "no",
                None,
                None,
            ],
        ]

    def _wizard(self, content, filename, user=None, **values):
        env = self.env(user=user or self.receiver)
        return env["sale.order.batch.import"].create(
            {"file": base64.b64encode(content), "filename": filename, **values}
        )

    def _import(self, content, filename, user=None, **values):
        wizard = self._wizard(content, filename, user=user, **values)
        action = wizard.action_import()
        self.assertEqual(action["type"], "ir.actions.act_window")
        return wizard.order_ids.with_env(self.env).sorted("client_order_ref")

    def _counts(self):
        return (
            self.env["sale.order"].search_count([]),
            self.env["sale.order.line"].search_count([]),
            self.env["res.partner"].with_context(active_test=False).search_count([]),
        )

    def assertImportRefused(self, content, filename, *messages, **values):
        """The import is refused with every one of ``messages`` and creates no
        order, line or contact."""
        before = self._counts()
        with self.assertRaises(UserError) as caught:
            self._import(content, filename, **values)
        text = str(caught.exception)
        for message in messages:
            self.assertIn(message, text)
        self.assertEqual(self._counts(), before, "nothing may be created")
        return text


@tagged("post_install", "-at_install")
class TestBatchImportValidFiles(BatchImportCase):
    def assertTwoOrders(self, orders):
        self.assertEqual(orders.mapped("client_order_ref"), ["PO-1001", "PO-1002"])
        first, second = orders
        self.assertEqual(first.partner_id, self.distributor)
        self.assertEqual(second.partner_id, self.customer)
        self.assertEqual(set(orders.mapped("order_channel")), {"import"})
        self.assertEqual(set(orders.mapped("procedure_stage")), {"received"})
        self.assertEqual(set(orders.mapped("review_state")), {"draft"})
        self.assertTrue(all(orders.mapped("received_date")))
        self.assertEqual(
            [(ln.product_id, ln.product_uom_qty) for ln in first.order_line],
            [(self.product_in_stock, 3), (self.product_no_stock, 2)],
        )
        self.assertEqual(first.order_line[0].price_unit, 120)
        self.assertEqual(first.order_line[1].discount, 10)
        # No price in the file: the pricelist's.
        self.assertEqual(first.order_line[1].price_unit, 100)
        self.assertEqual(second.order_line.price_unit, 99.5)
        self.assertTrue(first.is_rush)
        self.assertEqual(first.priority, "1", "the rush rule makes it urgent")
        self.assertFalse(second.is_rush)
        self.assertEqual(first.commitment_date.date(), self.next_date)
        self.assertEqual(first.customer_note, "Call first")

    def test_xlsx(self):
        self.assertTwoOrders(self._import(xlsx_file(self._rows()), "orders.xlsx"))

    def test_xlsx_with_dates_percentages_and_empty_rows(self):
        rows = self._rows()
        rows[1][7] = datetime.datetime.combine(self.next_date, datetime.time())
        rows[2][5] = 0.1
        rows.insert(2, [None] * len(HEADER))

        def percent(sheet):
            sheet["F4"].number_format = "0%"

        orders = self._import(xlsx_file(rows, percent), "orders.xlsx")
        self.assertTwoOrders(orders)

    def test_xls(self):
        self.assertTwoOrders(self._import(xls_file(self._rows()), "orders.xls"))

    def test_csv_utf8_with_and_without_bom(self):
        self.assertTwoOrders(self._import(csv_file(self._rows()), "orders.csv"))
        self.env["sale.order"].search(
            [("order_channel", "=", "import")]
        ).action_cancel()
        orders = self._import(csv_file(self._rows(), "utf-8-sig"), "orders.csv")
        self.assertTwoOrders(orders)

    def test_csv_gbk_semicolon_with_chinese_headers(self):
        rows = [HEADER_ZH, *self._rows()[1:]]
        rows[1][6] = "是"
        rows[3][6] = "否"
        content = csv_file(rows, "gbk", ";")
        self.assertTwoOrders(self._import(content, "订单.csv"))

    def test_cancelled_order_does_not_block_its_reference(self):
        orders = self._import(csv_file(self._rows()), "orders.csv")
        orders.action_cancel()
        self.assertEqual(len(self._import(csv_file(self._rows()), "orders.csv")), 2)

    def test_submit_for_review_in_the_same_step(self):
        orders = self._import(
            csv_file(self._rows()), "orders.csv", submit_for_review=True
        )
        self.assertEqual(set(orders.mapped("procedure_stage")), {"in_review"})

    def test_delivery_contact_created_once(self):
        rows = [
            DELIVERY_HEADER,
            [
                "PO-2001",
                "T-DIST-01",
                "Li Na",
                "+86 21 6888 0000",
                "1 Nanjing Road",
                "Shanghai",
                "上海",
                "CN",
                "T-CAB",
                1,
            ],
            [
                "PO-2002",
                "T-DIST-01",
                "Li Na",
                "+86 21 6888 0000",
                "1 Nanjing Road",
                "Shanghai",
                "上海",
                "China",
                "T-CAB",
                2,
            ],
            [
                "PO-2003",
                "CUST-XY",
                "Amy Lee",
                "+1 650 253 0000",
                "1600 Amphitheatre Parkway",
                "Mountain View",
                "CA",
                "US",
                "T-CAB",
                1,
            ],
            [
                "PO-2004",
                "CUST-XY",
                "Amy Lee",
                "+1 650 253 0000",
                "1600 Amphitheatre Parkway",
                "Mountain View",
                "California",
                "United States",
                "T-CAB",
                1,
            ],
        ]
        orders = self._import(xlsx_file(rows), "orders.xlsx")
        china, usa = orders[:2].partner_shipping_id, orders[2:].partner_shipping_id
        self.assertEqual(len(china), 1, "the same address is one contact")
        self.assertEqual(china.parent_id, self.distributor)
        self.assertEqual(china.type, "delivery")
        self.assertEqual(china.country_id.code, "CN")
        self.assertEqual(china.state_id.name, "上海市")
        self.assertEqual(len(usa), 1)
        self.assertEqual(usa.state_id, self.env.ref("base.state_us_5"))
        self.assertEqual(usa.parent_id, self.customer)
        rows = [DELIVERY_HEADER, ["PO-2005", *rows[1][1:]]]
        again = self._import(xlsx_file(rows), "orders.xlsx")
        self.assertEqual(again.partner_shipping_id, china, "reused, not duplicated")

    def test_template_then_three_orders_one_bad(self):
        """As a new receiver would: take the template, fill three orders with
        an unknown product in one, import; fix the row, import again."""
        wizard = self.env(user=self.receiver)["sale.order.batch.import"].create({})
        action = wizard.action_download_template()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn("field=template_file", action["url"])
        workbook = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(wizard.template_file))
        )
        sheet = workbook.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[0], "External Order Reference *")
        self.assertIn("Requested Date", header)
        self.assertEqual(sheet["A2"].value, "PO-2026-0001", "one example order")
        self.assertEqual(wizard.template_filename, "order_import_template.xlsx")
        self.assertEqual(workbook.sheetnames[1], "Instructions")

        sheet.delete_rows(2, sheet.max_row)
        column = {
            text.rstrip(" *"): index for index, text in enumerate(header, start=1)
        }

        def fill(row, ref, customer, product, quantity):
            sheet.cell(row, column["External Order Reference"], ref)
            sheet.cell(row, column["Customer"], customer)
            sheet.cell(row, column["Product"], product)
            sheet.cell(row, column["Quantity"], quantity)

        fill(2, "A-1", "T-DIST-01", "T-CAB", 1)
        fill(3, "A-2", "T-DIST-01", "T-NOPE", 1)
        fill(4, "A-3", "CUST-XY", "T-LAMP", 4)
        stream = io.BytesIO()
        workbook.save(stream)
        text = self.assertImportRefused(
            stream.getvalue(),
            "orders.xlsx",
            "Row 3, column J (Product *): no product has the internal reference or "
            'barcode "T-NOPE".',
        )
        self.assertEqual(text.count("Row "), 1, "only that row is reported")

        sheet.cell(3, column["Product"], "T-CAB")
        stream = io.BytesIO()
        workbook.save(stream)
        orders = self._import(stream.getvalue(), "orders.xlsx")
        self.assertEqual(len(orders), 3)
        self.assertEqual(set(orders.mapped("procedure_stage")), {"received"})
        channel = dict(
            orders._fields["order_channel"]._description_selection(self.env)
        )[orders[0].order_channel]
        self.assertEqual(channel, "Batch Import")

    def test_template_in_chinese_for_chinese_users(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.receiver.lang = "zh_CN"
        wizard = self.env(user=self.receiver)["sale.order.batch.import"].create({})
        workbook = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(wizard.template_file))
        )
        header = [cell.value for cell in workbook.worksheets[0][1]]
        self.assertEqual(header[:2], ["外部订单号 *", "客户 *"])
        # The Chinese template imports as it is.
        orders = self._import(base64.b64decode(wizard.template_file), "模板.xlsx")
        self.assertEqual(len(orders), 1)
        self.assertEqual(len(orders.order_line), 2)

    def test_lookups_do_not_grow_with_the_rows(self):
        def rows(count):
            return [
                HEADER,
                *(
                    [
                        f"Q-{i // 2}",
                        "T-DIST-01" if (i // 2) % 2 else "CUST-XY",
                        "T-CAB" if i % 2 else "6901234567892",
                        i + 1,
                        10,
                    ]
                    for i in range(count)
                ),
            ]

        # The first file fills the registry caches (access rules, fields).
        counts = []
        for count in (4, 6, 10, 200):
            wizard = self._wizard(csv_file(rows(count)), "orders.csv")
            table = wizard._read_rows()
            self.env.invalidate_all()
            if count < 10:
                wizard._prepare_orders(table)
                continue
            before = self.env.cr.sql_log_count
            with self.assertQueryCount(QUERIES_TO_CHECK_A_FILE):
                orders, problems = wizard._prepare_orders(table)
            counts.append(self.env.cr.sql_log_count - before)
            self.assertFalse(problems)
            self.assertEqual(len(orders), count // 2)
        self.assertEqual(counts[0], counts[1], "20 times the rows, same queries")

    def test_creation_queries_per_order(self):
        """Creating the orders: a constant number of queries; names, defaults,
        warehouse and the lines' analytic distribution are worked out once
        for the file."""

        def rows(orders):
            return [
                HEADER,
                *(
                    [f"QC-{orders}-{i // 2}", "T-DIST-01", product, 1 + i, 10]
                    for i, product in enumerate(["T-CAB", "T-LAMP"] * orders)
                ),
            ]

        counts = {}
        for orders in (2, 10, 30):
            wizard = self._wizard(csv_file(rows(orders)), "orders.csv")
            values, problems = wizard._prepare_orders(wizard._read_rows())
            self.assertFalse(problems)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            created = wizard._create_orders(values)
            self.env.flush_all()
            counts[orders] = self.env.cr.sql_log_count - before
            self.assertEqual(len(created), orders)
            self.assertEqual(len(created.order_line), 2 * orders)
        per_order = (counts[30] - counts[10]) / 20
        self.assertLessEqual(per_order, QUERIES_TO_CREATE_AN_ORDER)

    def test_orders_numbered_by_the_sale_order_sequence(self):
        """The imported orders take the next numbers of Odoo's sale.order
        sequence, in the order of the file, as if each had been created
        alone; a sequence by date range (or without gaps) numbers them
        through Odoo's own way."""
        sequence = self.env["ir.sequence"].search(
            [
                ("code", "=", "sale.order"),
                ("company_id", "in", [self.company.id, False]),
            ],
            order="company_id",
            limit=1,
        )

        def rows(prefix):
            return [
                HEADER,
                *([f"{prefix}-{i}", "T-DIST-01", "T-CAB", 1, 10] for i in range(3)),
            ]

        start = sequence.number_next_actual
        expected = [sequence.get_next_char(start + i) for i in range(3)]
        self._wizard(csv_file(rows("SEQ-A")), "orders.csv").action_import()
        orders = self.env["sale.order"].search(
            [("client_order_ref", "like", "SEQ-A-")], order="client_order_ref"
        )
        self.assertEqual(orders.mapped("name"), expected)
        after = self.env["sale.order"].create({"partner_id": self.distributor.id})
        self.assertEqual(after.name, sequence.get_next_char(start + 3))

        sequence.write({"use_date_range": True, "prefix": "IMP/%(range_year)s/"})
        self._wizard(csv_file(rows("SEQ-B")), "orders.csv").action_import()
        orders = self.env["sale.order"].search(
            [("client_order_ref", "like", "SEQ-B-")], order="client_order_ref"
        )
        year = datetime.date.today().year
        self.assertEqual(
            orders.mapped("name"),
            [f"IMP/{year}/{number:0{sequence.padding}d}" for number in (1, 2, 3)],
        )


@tagged("post_install", "-at_install")
class TestBatchImportBadFiles(BatchImportCase):
    """Every problem is reported by row and column; nothing is created."""

    def test_unknown_customer_and_product(self):
        rows = self._rows()
        rows[1][1] = "Nobody Ltd"
        rows[2][2] = "NOPE-9"
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "Nothing was imported. Correct these problems in the file",
            "Row 2, column B (Customer): no customer has the internal reference, "
            'tax ID or name "Nobody Ltd".',
            "Row 3, column C (Product): no product has the internal reference or "
            'barcode "NOPE-9".',
        )

    def test_ambiguous_customer_and_product(self):
        self.env["res.partner"].create({"name": "Hangzhou Xinyu Electronics"})
        self.env["product.product"].create(
            {"name": "Other cabinet", "default_code": "T-CAB"}
        )
        self.assertImportRefused(
            xlsx_file(self._rows()),
            "orders.xlsx",
            'Row 2, column C (Product): "T-CAB" matches several products:',
            'Row 4, column B (Customer): "Hangzhou Xinyu Electronics" matches '
            "several customers:",
        )

    def test_product_that_cannot_be_sold(self):
        self.product_in_stock.sale_ok = False
        self.assertImportRefused(
            csv_file(self._rows()),
            "orders.csv",
            "Row 2, column C (Product): [T-CAB] Cabinet cannot be sold",
        )

    def test_bad_quantities(self):
        rows = self._rows()
        rows[1][3] = 0
        rows[2][3] = -2
        rows[3][3] = "three"
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "Row 2, column D (Quantity): the quantity must be a number greater than "
            'zero, not "0".',
            "Row 3, column D (Quantity): the quantity must be a number greater than "
            'zero, not "-2".',
            "Row 4, column D (Quantity): the quantity must be a number greater than "
            'zero, not "three".',
        )

    def test_price_and_discount_not_numbers(self):
        rows = self._rows()
        rows[1][4] = "12 yuan"
        rows[2][5] = 150
        self.assertImportRefused(
            csv_file(rows),
            "orders.csv",
            "Row 2, column E (Unit Price): the price must be a number, zero or "
            'more, not "12 yuan".',
            "Row 3, column F (Discount (%)): the discount must be a percentage "
            'between 0 and 100, not "150".',
        )

    def test_unknown_date_format_and_rush_word(self):
        rows = self._rows()
        rows[1][7] = "31/12/2026"
        rows[3][6] = "maybe"
        self.assertImportRefused(
            csv_file(rows),
            "orders.csv",
            'Row 2, column H (Requested Date): "31/12/2026" is not a date in a '
            "known format; write it as YYYY-MM-DD",
            'Row 4, column G (Rush): write yes or no (是 or 否), not "maybe".',
        )

    def test_missing_required_cells(self):
        rows = self._rows()
        rows[1][1] = None
        rows[2][0] = None
        rows[3][2] = None
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "Row 2, column B (Customer): the cell is empty; the first row of order "
            "PO-1001 must name the customer.",
            "Row 3, column A (External Order Reference): the cell is empty; it is "
            "required.",
            "Row 4, column C (Product): the cell is empty; it is required.",
        )

    def test_formula_and_error_cells(self):
        rows = self._rows()
        rows[1][3] = "=1+2"
        rows[3][4] = "#N/A"
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "Row 2, column D (Quantity): holds the formula =1+2; paste the values "
            "instead of formulas.",
            "Row 4, column E (Unit Price): holds the spreadsheet error #N/A.",
        )

    def test_bad_rows_in_xls_and_bom_semicolon_csv(self):
        rows = self._rows()
        rows[1][3] = "lots"
        rows[3][1] = "Nobody Ltd"
        expected = (
            "Row 2, column D (Quantity): the quantity must be a number greater than "
            'zero, not "lots".',
            "Row 4, column B (Customer): no customer has the internal reference, "
            'tax ID or name "Nobody Ltd".',
        )
        self.assertImportRefused(xls_file(rows), "orders.xls", *expected)
        self.assertImportRefused(
            csv_file(rows, "utf-8-sig", ";"), "orders.csv", *expected
        )

    def test_formula_in_csv(self):
        rows = self._rows()
        rows[1][1] = '=HYPERLINK("http://x","T-DIST-01")'
        self.assertImportRefused(
            csv_file(rows),
            "orders.csv",
            "Row 2, column B (Customer): holds the formula",
        )

    def test_same_reference_different_customer(self):
        rows = self._rows()
        rows[2][1] = "CUST-XY"
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "Row 3, column B (Customer): order PO-1001 is for Kunshan Yuanda "
            "Distribution at row 2; one external reference is one order of one "
            "customer.",
        )

    def test_same_reference_twice_with_different_content(self):
        rows = self._rows()
        rows[2][6] = "no"
        rows.append(list(rows[1]))
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            'Row 3, column G (Rush): "no" differs from "yes" at row 2 of the '
            "same order PO-1001; the rows of one order must agree.",
            "Row 5, column C (Product): this line repeats row 2 of order PO-1001; "
            "remove one of them or add the quantities together.",
        )

    def test_reference_already_used(self):
        existing = self._create_order(
            [(self.product_in_stock, 1)], client_order_ref="PO-1002"
        )
        # The same reference for another customer is another customer's order.
        self._create_order(
            [(self.product_in_stock, 1)],
            client_order_ref="PO-1001",
            partner_id=self.env["res.partner"].create({"name": "Someone"}).id,
        )
        self.assertImportRefused(
            xlsx_file(self._rows()),
            "orders.xlsx",
            "Nothing was imported. Correct these problems",
            "Row 4, column A (External Order Reference): external reference "
            f"PO-1002 is already used by order {existing.name} of Hangzhou Xinyu "
            "Electronics: this order was imported or entered before.",
        )

    def test_same_file_twice(self):
        content = xlsx_file(self._rows())
        self.assertEqual(len(self._import(content, "orders.xlsx")), 2)
        text = self.assertImportRefused(
            content,
            "orders.xlsx",
            "Nothing was imported: every order of this file already exists, the "
            "file was imported before.",
            "Row 2, column A (External Order Reference): external reference "
            "PO-1001 is already used by order",
        )
        self.assertEqual(text.count("Row "), 2)

    def test_simultaneous_import_is_decided_by_the_database(self):
        """Two receivers importing the same file at the same moment: both pass
        the duplicate check before either commits. The database refuses the
        second file's orders, and Odoo runs that request again, whose
        duplicate check then reports them (the real race is driven over
        XML-RPC by scripts/concurrency_test.py)."""
        content = xlsx_file(self._rows())
        self.assertEqual(len(self._import(content, "orders.xlsx")), 2)
        before = self._counts()
        Import = type(self.env["sale.order.batch.import"])
        with (
            patch.object(Import, "_check_existing_orders", lambda *args: None),
            self.assertRaises(ConcurrencyError),
        ):
            self._import(content, "orders.xlsx", user=self.receiver_2)
        self.assertEqual(self._counts(), before, "nothing may be created")
        # A cancelled import may be imported again.
        self.env["sale.order"].search(
            [("client_order_ref", "in", ["PO-1001", "PO-1002"])]
        )._action_cancel()
        self.assertEqual(len(self._import(content, "orders.xlsx")), 2)

    def test_delivery_address_problems(self):
        rows = [
            DELIVERY_HEADER,
            [
                "PO-3001",
                "T-DIST-01",
                "Li Na",
                "12",
                "1 Nanjing Road",
                "Shanghai",
                None,
                "CN",
                "T-CAB",
                1,
            ],
            [
                "PO-3002",
                "T-DIST-01",
                "Li Na",
                None,
                None,
                "Shanghai",
                "Atlantis",
                "US",
                "T-CAB",
                1,
            ],
            [
                "PO-3003",
                "T-DIST-01",
                "Li Na",
                None,
                "1 Road",
                "Paris",
                None,
                "Narnia",
                "T-CAB",
                1,
            ],
        ]
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            'Row 2, column D (Delivery Phone): "12" is not a valid phone number in '
            "China.",
            "Row 3: order PO-3002 names a delivery address but Delivery Address is "
            "empty;",
            "Row 3, column G (Delivery State): United States has no province or state "
            '"Atlantis".',
            "Row 4, column H (Delivery Country): no country has the code or name "
            '"Narnia".',
        )

    def test_reception_checks_stop_the_whole_import(self):
        """Submitting in the same step: an order failing the reception checks
        leaves nothing behind, not even the delivery contacts of the others."""
        self.distributor.zip = False
        rows = [
            DELIVERY_HEADER,
            [
                "PO-4001",
                "CUST-XY",
                "Amy Lee",
                "+1 650 253 0000",
                "1600 Amphitheatre Parkway",
                "Mountain View",
                "CA",
                "US",
                "T-CAB",
                1,
            ],
            ["PO-4002", "T-DIST-01", None, None, None, None, None, None, "T-CAB", 1],
        ]
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "cannot be submitted for review",
            "Kunshan Yuanda Distribution has no ZIP code.",
            submit_for_review=True,
        )

    def test_huge_cell(self):
        rows = self._rows()
        rows[1][8] = "x" * 5000
        rows[2][0] = "R" * 300
        self.assertImportRefused(
            csv_file(rows),
            "orders.csv",
            "Row 2, column I (Note): has 5000 characters; at most 2000 are allowed.",
            "Row 3, column A (External Order Reference): has 300 characters; at "
            "most 256 are allowed.",
        )

    def test_header_problems(self):
        rows = self._rows()
        rows[0] = ["Customer", "Produkt", "Quantity", "Quantity"]
        self.assertImportRefused(
            xlsx_file(rows),
            "orders.xlsx",
            "The header (row 1) does not match the template:",
            'Column B: "Produkt" is not a column of the template.',
            'Columns C and D both hold "Quantity".',
            "Required columns are missing: External Order Reference, Product.",
        )

    def test_corrupted_xlsx(self):
        content = xlsx_file(self._rows())
        self.assertImportRefused(
            content[: len(content) // 2],
            "orders.xlsx",
            "orders.xlsx cannot be read: it is damaged or not really an Excel "
            "workbook.",
        )
        stream = io.BytesIO()
        with zipfile.ZipFile(stream, "w") as archive:
            archive.writestr("word/document.xml", "<w/>")
        self.assertImportRefused(stream.getvalue(), "orders.xlsx", "cannot be read")

    def test_corrupted_xls(self):
        content = xls_file(self._rows())
        self.assertImportRefused(
            content[:600], "orders.xls", "orders.xls cannot be read"
        )

    def test_password_protected_xlsx(self):
        if OOXMLFile is None:
            self.skipTest("msoffcrypto-tool is not installed: no encrypted file")
        encrypted = io.BytesIO()
        OOXMLFile(io.BytesIO(xlsx_file(self._rows()))).encrypt("secret", encrypted)
        self.assertImportRefused(
            encrypted.getvalue(),
            "orders.xlsx",
            "orders.xlsx is protected by a password; save it without a password",
        )

    def test_wrong_file_type_and_empty_files(self):
        self.assertImportRefused(
            b"%PDF-1.4 ...",
            "orders.pdf",
            "orders.pdf is a .pdf file; import an Excel workbook (.xlsx, .xls) or a "
            "CSV file (.csv).",
        )
        self.assertImportRefused(b"", "orders.csv", "orders.csv is empty.")
        self.assertImportRefused(
            b"\n\n  \n", "orders.csv", "orders.csv contains no orders"
        )
        self.assertImportRefused(
            csv_file([HEADER, [None] * len(HEADER)]),
            "orders.csv",
            "orders.csv contains no orders",
        )
        self.assertImportRefused(
            xlsx_file([]), "orders.xlsx", "orders.xlsx contains no orders"
        )
        with self.assertRaises(UserError):
            self.env(user=self.receiver)["sale.order.batch.import"].create(
                {}
            ).action_import()

    def test_text_that_is_not_csv(self):
        self.assertImportRefused(
            b"\x80\x81\xfe\x00\x01binary", "orders.csv", "is not a text CSV file"
        )
        self.assertImportRefused(
            "客户".encode("gbk") + b"\x81\x20\xff",
            "orders.csv",
            "neither UTF-8 nor GB18030",
        )

    def test_size_and_row_limits(self):
        self.company.batch_import_max_rows = 2
        self.assertImportRefused(
            csv_file(self._rows()),
            "orders.csv",
            "orders.csv has more than 2 order lines; split it into smaller files",
        )
        self.company.batch_import_max_rows = 5000
        self.company.batch_import_max_size_mb = 1
        rows = [
            *self._rows(),
            *([f"PO-{i}", "T-DIST-01", "T-CAB", 1] for i in range(40000)),
        ]
        self.assertImportRefused(
            csv_file(rows),
            "orders.csv",
            "files of at most 1 MB can be imported",
        )

    def test_errors_in_chinese_for_chinese_users(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        self.receiver.lang = "zh_CN"
        rows = [HEADER_ZH, *self._rows()[1:]]
        rows[2][2] = "NOPE-9"
        rows[3][3] = 0
        self.assertImportRefused(
            csv_file(rows, "gb18030"),
            "订单.csv",
            "未导入任何订单",
            '第 3 行，C 列（产品）：没有内部参考或条码为 "NOPE-9" 的产品。',
            '第 4 行，D 列（数量）：数量必须是大于零的数字，而不是 "0"。',
        )

    def test_only_receivers_import(self):
        with self.assertRaises(AccessError):
            self.env(user=self.warehouse_user)["sale.order.batch.import"].create(
                {"file": base64.b64encode(csv_file(self._rows())), "filename": "o.csv"}
            )
        with self.assertRaises(AccessError):
            self._import(csv_file(self._rows()), "orders.csv", user=self.accountant)


@tagged("post_install", "-at_install")
class TestBatchImportTemplateDownload(HttpCase):
    def test_template_downloads_in_the_browser(self):
        receiver = new_test_user(
            self.env,
            "omp_template_receiver",
            "order_mgmt_procedure.group_order_receiver",
        )
        wizard = self.env(user=receiver)["sale.order.batch.import"].create({})
        url = wizard.action_download_template()["url"]
        self.authenticate("omp_template_receiver", "omp_template_receiver")
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "order_import_template.xlsx", response.headers["Content-Disposition"]
        )
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        self.assertEqual(
            workbook.worksheets[0]["A1"].value, "External Order Reference *"
        )
