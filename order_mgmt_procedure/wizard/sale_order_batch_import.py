import base64
import datetime
import io
import re
import unicodedata
from collections import defaultdict, namedtuple

import openpyxl
import pytz
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command

from odoo.addons.phone_validation.tools import phone_validation

from . import batch_import_reader as reader

# (key, English header, Chinese header, other accepted headers, required)
COLUMNS = [
    ("ref", "External Order Reference", "外部订单号", ("客户订单号", "订单号"), True),
    ("customer", "Customer", "客户", ("客户名称", "客户编码"), True),
    ("delivery_name", "Delivery Contact", "收货人", ("收件人",), False),
    ("delivery_phone", "Delivery Phone", "收货电话", ("联系电话", "电话"), False),
    ("delivery_street", "Delivery Address", "收货地址", ("地址",), False),
    ("delivery_city", "Delivery City", "收货城市", ("城市",), False),
    ("delivery_state", "Delivery State", "省份", ("省/州", "省"), False),
    ("delivery_zip", "Delivery ZIP", "邮编", ("邮政编码",), False),
    ("delivery_country", "Delivery Country", "国家", ("国家/地区",), False),
    ("product", "Product", "产品", ("产品编码", "商品编码", "条码"), True),
    ("quantity", "Quantity", "数量", (), True),
    ("price_unit", "Unit Price", "单价", (), False),
    ("discount", "Discount (%)", "折扣(%)", ("discount", "折扣"), False),
    ("rush", "Rush", "加急", (), False),
    ("requested_date", "Requested Date", "要求交货日期", ("交货日期",), False),
    ("note", "Note", "备注", (), False),
]
COLUMN_KEYS = [column[0] for column in COLUMNS]
REQUIRED_KEYS = {column[0] for column in COLUMNS if column[4]}
DELIVERY_KEYS = (
    "delivery_name",
    "delivery_phone",
    "delivery_street",
    "delivery_city",
    "delivery_state",
    "delivery_zip",
    "delivery_country",
)
# Cells of one order: later rows of the order may leave them empty.
ORDER_KEYS = ("customer", *DELIVERY_KEYS, "rush", "requested_date", "note")
LONG_TEXT_KEYS = {"note", "delivery_street"}
MAX_TEXT = 256
MAX_LONG_TEXT = 2000
# Problems listed in one message; the rest are counted.
MAX_LISTED_PROBLEMS = 100

TRUE_WORDS = {"1", "y", "yes", "true", "x", "是", "对", "加急", "urgent"}
FALSE_WORDS = {"0", "n", "no", "false", "否", "不", "不加急"}
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
)
# column: index in the row, or None for the whole row; duplicate: the order
# exists already (a file imported twice is told so).
Problem = namedtuple("Problem", "row column message duplicate", defaults=(False,))

THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
CURRENCY_SIGNS = "¥￥$€£ "


def normalize_header(text):
    text = unicodedata.normalize("NFKC", str(text)).strip().rstrip("*").strip()
    return re.sub(r"\s+", "", text).lower()


HEADER_KEYS = {}
for _key, _english, _chinese, _aliases, _required in COLUMNS:
    for _label in (_english, _chinese, *_aliases):
        HEADER_KEYS[normalize_header(_label)] = _key


def clean_text(value):
    """A cell as stripped text, numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


class SaleOrderBatchImport(models.TransientModel):
    _name = "sale.order.batch.import"
    _description = "Batch Import of Orders"

    file = fields.Binary(
        attachment=False,
        help="The order file: .xlsx, .xls or .csv laid out like the template.",
    )
    filename = fields.Char(string="File Name")
    submit_for_review = fields.Boolean(
        string="Submit for Review",
        help="Submit the imported orders for review in the same step; the "
        "reception checks then apply to every order and any problem stops the "
        "whole import.",
    )
    template_file = fields.Binary(
        string="Template", compute="_compute_template_file", attachment=False
    )
    template_filename = fields.Char(compute="_compute_template_file")
    order_ids = fields.Many2many("sale.order", string="Imported Orders", readonly=True)
    max_rows = fields.Integer(related="company_id.batch_import_max_rows")
    max_size_mb = fields.Integer(related="company_id.batch_import_max_size_mb")
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, required=True
    )

    # ------------------------------------------------------------------
    # Template
    # ------------------------------------------------------------------

    @api.depends_context("lang", "uid")
    def _compute_template_file(self):
        localized = self._in_user_language()
        content = base64.b64encode(localized._build_template())
        for wizard in self:
            wizard.template_file = content
            wizard.template_filename = localized.env._("order_import_template.xlsx")

    def _in_user_language(self):
        """Web client calls carry the user's language; external API calls
        may not, and the user still reads the template and the problems in
        their own language."""
        if self.env.context.get("lang"):
            return self
        return self.with_context(lang=self.env.user.lang)

    def action_download_template(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": (
                f"/web/content/?model={self._name}&id={self.id}"
                "&field=template_file&filename_field=template_filename"
                "&download=true"
            ),
            "target": "self",
        }

    def _build_template(self):
        """An .xlsx with the header in the user's language, one example order
        of two lines, and a sheet explaining every column."""
        chinese = (self.env.lang or "").startswith("zh")
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = self.env._("Orders")
        bold = Font(bold=True)
        required_fill = PatternFill("solid", fgColor="FFF2CC")
        for index, (key, english, zh, __, required) in enumerate(COLUMNS, start=1):
            header = zh if chinese else english
            cell = sheet.cell(
                row=1, column=index, value=f"{header} *" if required else header
            )
            cell.font = bold
            if required:
                cell.fill = required_fill
            sheet.column_dimensions[get_column_letter(index)].width = max(
                14, len(header) + 4
            )
            if key in ("ref", "customer", "product", "delivery_phone", "delivery_zip"):
                # Text, so that codes keep their leading zeros.
                for row in range(2, 1001):
                    sheet.cell(row=row, column=index).number_format = "@"
        for row, example in enumerate(self._template_example(), start=2):
            for index, key in enumerate(COLUMN_KEYS, start=1):
                sheet.cell(row=row, column=index, value=example.get(key))
        sheet.freeze_panes = "A2"

        notes = workbook.create_sheet(self.env._("Instructions"))
        notes.append(
            [self.env._("Column"), self.env._("Required"), self.env._("What to enter")]
        )
        for cell in notes[1]:
            cell.font = bold
        descriptions = self._column_descriptions()
        for key, english, zh, __, required in COLUMNS:
            notes.append(
                [
                    zh if chinese else english,
                    self.env._("Yes") if required else "",
                    descriptions[key],
                ]
            )
        notes.column_dimensions["A"].width = 26
        notes.column_dimensions["C"].width = 110
        stream = io.BytesIO()
        workbook.save(stream)
        return stream.getvalue()

    def _template_example(self):
        """One order of two lines, with this database's own customer and
        products when it has some, so that the example imports as it is."""
        customer = self.env["res.partner"].search(
            [("customer_rank", ">", 0), ("is_company", "=", True)], limit=1
        )
        products = self.env["product.product"].search(
            [("sale_ok", "=", True), ("default_code", "!=", False)], limit=2
        )
        customer_value = customer.ref or customer.vat or customer.name or "C-0001"
        codes = products.mapped("default_code") or ["PRODUCT-1", "PRODUCT-2"]
        if len(codes) == 1:
            codes.append(codes[0])
        order = {
            "ref": "PO-2026-0001",
            "customer": customer_value,
            "delivery_name": self.env._("Zhang Wei"),
            "delivery_phone": "+86 138 0013 8000",
            "delivery_street": self.env._("88 Century Avenue, Pudong"),
            "delivery_city": self.env._("Shanghai"),
            "delivery_zip": "200120",
            "delivery_country": "CN",
            "rush": self.env._("no"),
            "requested_date": fields.Date.to_string(
                fields.Date.context_today(self) + datetime.timedelta(days=14)
            ),
            "note": self.env._("Deliver on working days only."),
        }
        return [
            {**order, "product": codes[0], "quantity": 10, "price_unit": 25.0},
            {"ref": "PO-2026-0001", "product": codes[1], "quantity": 2, "discount": 5},
        ]

    def _column_descriptions(self):
        return {
            "ref": self.env._(
                "The distributor's own order number. Rows with the same reference "
                "are the lines of one order. It is kept as the order's Customer "
                "Reference and must not be used by another order of the customer."
            ),
            "customer": self.env._(
                "The customer's internal reference, tax ID or exact name, as in "
                "Contacts. Needed on the first row of each order."
            ),
            "delivery_name": self.env._(
                "Who receives the goods. Leave the delivery columns empty to ship "
                "to the customer's own address."
            ),
            "delivery_phone": self.env._(
                "Phone of the person receiving the goods, valid for the delivery "
                "country."
            ),
            "delivery_street": self.env._("Street and number of the delivery address."),
            "delivery_city": self.env._("City of the delivery address."),
            "delivery_state": self.env._("Province or state: code or name."),
            "delivery_zip": self.env._("Postal code."),
            "delivery_country": self.env._(
                "Country code (CN) or name; the customer's country when empty."
            ),
            "product": self.env._("The product's internal reference or barcode."),
            "quantity": self.env._("A number greater than zero."),
            "price_unit": self.env._(
                "Price before discount; the customer's pricelist price when empty."
            ),
            "discount": self.env._("Percentage between 0 and 100; empty for none."),
            "rush": self.env._(
                "yes / no (是 / 否). Rush orders are handled first (priority rules)."
            ),
            "requested_date": self.env._(
                "Delivery date the customer asks for: YYYY-MM-DD, e.g. 2026-12-31."
            ),
            "note": self.env._("Anything the customer asks for; kept on the order."),
        }

    # ------------------------------------------------------------------
    # Import
    # ------------------------------------------------------------------

    def action_import(self):
        """Create the file's orders, all of them or none."""
        self.ensure_one()
        return self._in_user_language()._import_file()

    def _import_file(self):
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            raise AccessError(self.env._("Only order receivers may import orders."))
        rows = self._read_rows()
        orders_values, problems = self._prepare_orders(rows)
        if problems:
            raise UserError(self._problems_message(problems, orders_values, rows[0][1]))
        orders = self._create_orders(orders_values)
        if self.submit_for_review:
            orders.action_submit_review()
        self.order_ids = orders
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale.action_quotations_with_onboarding"
        )
        action.update(
            {
                "name": self.env._("Imported Orders"),
                "display_name": self.env._("Imported Orders"),
                "domain": [("id", "in", orders.ids)],
                "context": {"create": False},
                "target": "current",
            }
        )
        if len(orders) == 1:
            action.update(
                {"res_id": orders.id, "view_mode": "form", "views": [(False, "form")]}
            )
        return action

    def _read_rows(self):
        """The file's non-empty rows, header first; file-level problems raise."""
        name = self.filename or self.env._("the file")
        if not self.file:
            if self.filename:
                raise UserError(self.env._("%(file)s is empty.", file=name))
            raise UserError(self.env._("Choose the file to import."))
        data = base64.b64decode(self.file)
        if not data:
            raise UserError(self.env._("%(file)s is empty.", file=name))
        max_bytes = self.company_id.batch_import_max_size_mb * 1024 * 1024
        if len(data) > max_bytes:
            raise UserError(
                self.env._(
                    "%(file)s is %(size).1f MB; files of at most %(max)s MB can be "
                    "imported (Settings > Order Procedure).",
                    file=name,
                    size=len(data) / 1024 / 1024,
                    max=self.company_id.batch_import_max_size_mb,
                )
            )
        max_rows = self.company_id.batch_import_max_rows
        try:
            rows = reader.read_rows(data, self.filename or "", max_rows)
        except reader.BatchFileError as error:
            raise UserError(self._file_error_message(error, name)) from error
        if len(rows) < 2:
            raise UserError(
                self.env._(
                    "%(file)s contains no orders: it needs the header row of the "
                    "template and at least one order line below it.",
                    file=name,
                )
            )
        if len(rows) - 1 > max_rows:
            raise UserError(
                self.env._(
                    "%(file)s has more than %(max)s order lines; split it into "
                    "smaller files or raise the limit in Settings > Order Procedure.",
                    file=name,
                    max=max_rows,
                )
            )
        return rows

    def _file_error_message(self, error, name):
        messages = {
            "file_type": self.env._(
                "%(file)s is a .%(extension)s file; import an Excel workbook "
                "(.xlsx, .xls) or a CSV file (.csv).",
                file=name,
                extension=error.params.get("extension", ""),
            ),
            "password": self.env._(
                "%(file)s is protected by a password; save it without a password "
                "and import it again.",
                file=name,
            ),
            "corrupted": self.env._(
                "%(file)s cannot be read: it is damaged or not really an Excel "
                "workbook. Open it in your spreadsheet, save it again as .xlsx and "
                "import that.",
                file=name,
            ),
            "empty": self.env._("%(file)s is empty.", file=name),
            "xls_unsupported": self.env._(
                "Reading .xls files needs the xlrd library on the server; save "
                "%(file)s as .xlsx or .csv instead.",
                file=name,
            ),
            "not_text": self.env._(
                "%(file)s is not a text CSV file; import an Excel workbook or a CSV "
                "file.",
                file=name,
            ),
            "encoding": self.env._(
                "%(file)s is neither UTF-8 nor GB18030/GBK text; save it as "
                '"CSV UTF-8" and import it again.',
                file=name,
            ),
            "csv_malformed": self.env._(
                "%(file)s is not a valid CSV file (%(detail)s).",
                file=name,
                detail=error.params.get("detail", ""),
            ),
        }
        return messages[error.code]

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------

    def _prepare_orders(self, rows):
        """Check every row and build the orders' values.

        Returns ``(orders, problems)``: orders as dicts in file order, problems
        as ``(row, column index or None, message)``. Customers, products,
        countries, states, delivery contacts and existing orders are each
        looked up with one query for the whole file.
        """
        header_row, header = rows[0]
        columns = self._map_header(header_row, header)
        problems = []
        parsed = []
        for row_number, cells in rows[1:]:
            values = {}
            texts = {}
            invalid = set()
            for key, (index, __) in columns.items():
                value = cells[index] if index < len(cells) else None
                texts[key] = clean_text(value)[:60]
                reported = len(problems)
                values[key] = self._check_cell(row_number, index, key, value, problems)
                if len(problems) > reported:
                    invalid.add(key)
            parsed.append((row_number, values, texts, invalid))

        lookups = self._lookup_records(parsed)
        orders = {}
        for row_number, values, texts, invalid in parsed:
            self._check_row(
                row_number, values, texts, invalid, columns, lookups, orders, problems
            )
        order_list = list(orders.values())
        self._check_delivery(order_list, columns, lookups, problems)
        self._check_existing_orders(order_list, columns, problems)
        return order_list, problems

    def _map_header(self, row_number, header):
        """``{key: (column index, header text)}``; header problems raise."""
        columns = {}
        problems = []
        for index, value in enumerate(header):
            if value is None or value == "":
                continue
            text = clean_text(value)
            key = HEADER_KEYS.get(normalize_header(text))
            if not key:
                problems.append(
                    self.env._(
                        "Column %(letter)s: %(header)s is not a column of the "
                        "template.",
                        letter=get_column_letter(index + 1),
                        header=f'"{text}"',
                    )
                )
            elif key in columns:
                problems.append(
                    self.env._(
                        "Columns %(first)s and %(second)s both hold %(header)s.",
                        first=get_column_letter(columns[key][0] + 1),
                        second=get_column_letter(index + 1),
                        header=f'"{text}"',
                    )
                )
            else:
                columns[key] = (index, text)
        missing = [
            column[1] for column in COLUMNS if column[4] and column[0] not in columns
        ]
        if missing:
            problems.append(
                self.env._(
                    "Required columns are missing: %(columns)s. Start from the "
                    "template; its first row must be kept as it is.",
                    columns=", ".join(missing),
                )
            )
        if problems:
            raise UserError(
                self.env._(
                    "The header (row %(row)s) does not match the template:\n"
                    "%(problems)s",
                    row=row_number,
                    problems="\n".join(f"- {problem}" for problem in problems),
                )
            )
        return columns

    def _check_cell(self, row, index, key, value, problems):
        """The cell's value parsed for its column, or None after noting why
        it cannot be used."""

        def problem(message):
            problems.append(Problem(row, index, message))

        if isinstance(value, reader.Formula):
            problem(
                self.env._(
                    "holds the formula %(formula)s; paste the values instead of "
                    "formulas.",
                    formula=value[:60],
                )
            )
            return None
        if isinstance(value, reader.CellError):
            problem(
                self.env._("holds the spreadsheet error %(error)s.", error=str(value))
            )
            return None
        if key == "quantity":
            return self._parse_number(value, problem, positive=True)
        if key == "price_unit":
            return self._parse_number(value, problem)
        if key == "discount":
            return self._parse_discount(value, problem)
        if key == "rush":
            return self._parse_bool(value, problem)
        if key == "requested_date":
            return self._parse_date(value, problem)
        text = clean_text(value)
        if key == "note" and value is not None:
            text = str(value).strip()
        limit = MAX_LONG_TEXT if key in LONG_TEXT_KEYS else MAX_TEXT
        if len(text) > limit:
            problem(
                self.env._(
                    "has %(length)s characters; at most %(max)s are allowed.",
                    length=len(text),
                    max=limit,
                )
            )
            return None
        return text or None

    def _parse_number(self, value, problem, positive=False):
        if value is None or value == "":
            return None
        number = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            text = clean_text(value).strip(CURRENCY_SIGNS)
            if THOUSANDS.match(text):
                text = text.replace(",", "")
            elif DECIMAL_COMMA.match(text):
                text = text.replace(",", ".")
            try:
                number = float(text)
            except ValueError:
                number = None
        if number is not None and number != number:  # NaN
            number = None
        if positive and (number is None or number <= 0):
            problem(
                self.env._(
                    "the quantity must be a number greater than zero, not %(value)s.",
                    value=f'"{clean_text(value)}"',
                )
            )
            return None
        if number is None or number < 0:
            problem(
                self.env._(
                    "the price must be a number, zero or more, not %(value)s.",
                    value=f'"{clean_text(value)}"',
                )
            )
            return None
        return number

    def _parse_discount(self, value, problem):
        if value is None or value == "":
            return None
        number = None
        if isinstance(value, reader.Percentage):
            number = float(value) * 100
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            text = clean_text(value).rstrip("%").strip().replace(",", ".")
            try:
                number = float(text)
            except ValueError:
                number = None
        if number is None or not 0 <= number <= 100:
            problem(
                self.env._(
                    "the discount must be a percentage between 0 and 100, not "
                    "%(value)s.",
                    value=f'"{clean_text(value)}"',
                )
            )
            return None
        return round(number, 6)

    def _parse_bool(self, value, problem):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        text = clean_text(value).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        problem(
            self.env._(
                "write yes or no (是 or 否), not %(value)s.",
                value=f'"{clean_text(value)}"',
            )
        )
        return None

    def _parse_date(self, value, problem):
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            return value
        if isinstance(value, datetime.date):
            return datetime.datetime.combine(value, datetime.time(12))
        text = clean_text(value)
        for date_format in DATE_FORMATS:
            try:
                parsed = datetime.datetime.strptime(text, date_format)
            except ValueError:
                continue
            if "%H" not in date_format:
                # Midday: the same calendar day in every time zone once stored
                # in UTC.
                parsed = parsed.replace(hour=12)
            return parsed
        problem(
            self.env._(
                "%(value)s is not a date in a known format; write it as YYYY-MM-DD, "
                "for example 2026-12-31.",
                value=f'"{text}"',
            )
        )
        return None

    def _lookup_records(self, parsed):
        """Every customer, product, country and state the file names, one
        query per kind."""
        wanted = defaultdict(set)
        for __, values, __texts, __invalid in parsed:
            for key in ("customer", "product", "delivery_country", "delivery_state"):
                if values.get(key):
                    wanted[key].add(values[key])
        partners = self.env["res.partner"]
        if wanted["customer"]:
            names = list(wanted["customer"])
            vats = list(
                {re.sub(r"[\s.-]", "", name).upper() for name in names} | set(names)
            )
            partners = partners.search_fetch(
                [
                    "|",
                    "|",
                    ("ref", "in", names),
                    ("vat", "in", vats),
                    ("name", "in", names),
                ],
                ["name", "ref", "vat", "commercial_partner_id", "country_id"],
            )
        products = self.env["product.product"]
        if wanted["product"]:
            codes = list(wanted["product"])
            products = products.search_fetch(
                ["|", ("default_code", "in", codes), ("barcode", "in", codes)],
                ["default_code", "barcode", "sale_ok", "display_name"],
            )
        countries = self.env["res.country"]
        if wanted["delivery_country"]:
            names = list(wanted["delivery_country"])
            countries = countries.search_fetch(
                [
                    "|",
                    ("code", "in", [name.upper() for name in names]),
                    ("name", "in", names),
                ],
                ["code", "name"],
            )
            if any(not self._match_country(countries, name) for name in names):
                # Names as written in English when the user works in another
                # language (and the other way round).
                countries |= countries.with_context(lang="en_US").search_fetch(
                    [("name", "in", names)], ["code", "name"]
                )
        states = self.env["res.country.state"]
        if wanted["delivery_state"]:
            # Every state of the countries in play, to match "上海" with
            # "上海市" as well as codes and full names.
            in_play = countries | partners.country_id | self.company_id.country_id
            states = states.search_fetch(
                [("country_id", "in", in_play.ids)], ["code", "name", "country_id"]
            )
        return {
            "partners": partners,
            "products": products,
            "countries": countries,
            "states": states,
        }

    @staticmethod
    def _match_country(countries, name):
        return countries.filtered(lambda c: c.code == name.upper() or c.name == name)[
            :1
        ]

    @staticmethod
    def _match_state(states, name):
        """By code, full name, or the start of one name only ("上海" for
        "上海市", "广东" for "广东省")."""
        state, __ = SaleOrderBatchImport._first_match(
            states.filtered(lambda s: (s.code or "").upper() == name.upper()),
            states.filtered(lambda s: s.name.lower() == name.lower()),
            states.filtered(lambda s: s.name.lower().startswith(name.lower())),
        )
        return state

    @staticmethod
    def _first_match(*candidates):
        """``(record, ambiguous)`` from lookups tried in order: the first that
        finds exactly one record wins; one finding several is ambiguous."""
        for matches in candidates:
            if len(matches) == 1:
                return matches, matches.browse()
            if matches:
                return matches.browse(), matches
        return candidates[0].browse(), candidates[0].browse()

    def _find_customer(self, value, partners):
        """By internal reference, else tax ID, else exact name."""
        vat = re.sub(r"[\s.-]", "", value).upper()
        return self._first_match(
            partners.filtered(lambda p: p.ref == value),
            # Contacts share the tax ID of their company: one customer then.
            partners.filtered(lambda p: p.vat in (value, vat)).commercial_partner_id,
            partners.filtered(lambda p: p.name == value),
        )

    def _find_product(self, value, products):
        """By internal reference, else barcode."""
        return self._first_match(
            products.filtered(lambda p: p.default_code == value),
            products.filtered(lambda p: p.barcode == value),
        )

    def _check_row(
        self, row, values, texts, invalid, columns, lookups, orders, problems
    ):
        """Resolve one row and add it to its order in ``orders``. ``texts``:
        the cells as written; ``invalid``: the cells already reported."""

        def problem(key, message):
            problems.append(Problem(row, columns[key][0], message))

        for key in ("ref", "product", "quantity"):
            if values.get(key) is None and key not in invalid:
                problem(key, self.env._("the cell is empty; it is required."))
        ref = values.get("ref")
        order = orders.get(ref) if ref else None
        if ref and order is None:
            order = orders[ref] = {
                "ref": ref,
                "row": row,
                "values": {},
                "value_rows": {},
                "texts": {},
                "lines": [],
            }
            if not values.get("customer") and "customer" not in invalid:
                problem(
                    "customer",
                    self.env._(
                        "the cell is empty; the first row of order %(ref)s must name "
                        "the customer.",
                        ref=ref,
                    ),
                )

        customer = None
        if values.get("customer"):
            customer, ambiguous = self._find_customer(
                values["customer"], lookups["partners"]
            )
            if ambiguous:
                problem(
                    "customer",
                    self.env._(
                        "%(value)s matches several customers: %(names)s. Use the "
                        "customer's internal reference instead.",
                        value=f'"{values["customer"]}"',
                        names=", ".join(ambiguous[:5].mapped("display_name")),
                    ),
                )
            elif not customer:
                problem(
                    "customer",
                    self.env._(
                        "no customer has the internal reference, tax ID or name "
                        "%(value)s.",
                        value=f'"{values["customer"]}"',
                    ),
                )

        product = None
        if values.get("product"):
            product, ambiguous = self._find_product(
                values["product"], lookups["products"]
            )
            if ambiguous:
                problem(
                    "product",
                    self.env._(
                        "%(value)s matches several products: %(names)s.",
                        value=f'"{values["product"]}"',
                        names=", ".join(ambiguous[:5].mapped("display_name")),
                    ),
                )
            elif not product:
                problem(
                    "product",
                    self.env._(
                        "no product has the internal reference or barcode %(value)s.",
                        value=f'"{values["product"]}"',
                    ),
                )
            elif not product.sale_ok:
                problem(
                    "product",
                    self.env._(
                        "%(product)s cannot be sold (Can be Sold is not ticked).",
                        product=product.display_name,
                    ),
                )
                product = None

        if order is None:
            return
        # An unknown or ambiguous customer was reported: no value to compare.
        resolved = dict(values, customer=customer or None)
        for key in ORDER_KEYS:
            if key not in columns or values.get(key) is None:
                continue
            new = resolved[key]
            if key not in order["values"]:
                order["values"][key] = new
                order["value_rows"][key] = row
                order["texts"][key] = texts[key]
                continue
            old = order["values"][key]
            if old == new or new is None or old is None:
                continue
            first_row = order["value_rows"][key]
            if key == "customer":
                problem(
                    key,
                    self.env._(
                        "order %(ref)s is for %(customer)s at row %(first_row)s; "
                        "one external reference is one order of one customer.",
                        ref=order["ref"],
                        customer=old.display_name,
                        first_row=first_row,
                    ),
                )
            else:
                problem(
                    key,
                    self.env._(
                        "%(value)s differs from %(other)s at row %(first_row)s of the "
                        "same order %(ref)s; the rows of one order must agree.",
                        value=f'"{texts[key]}"',
                        other=f'"{order["texts"][key]}"',
                        first_row=first_row,
                        ref=order["ref"],
                    ),
                )

        if product and values.get("quantity"):
            line = {
                "row": row,
                "product": product,
                "quantity": values["quantity"],
                "price_unit": values.get("price_unit"),
                "discount": values.get("discount"),
            }
            for other in order["lines"]:
                if all(
                    other[k] == line[k]
                    for k in ("product", "quantity", "price_unit", "discount")
                ):
                    problem(
                        "product",
                        self.env._(
                            "this line repeats row %(first_row)s of order %(ref)s; "
                            "remove one of them or add the quantities together.",
                            first_row=other["row"],
                            ref=order["ref"],
                        ),
                    )
                    break
            else:
                order["lines"].append(line)

    def _check_delivery(self, orders, columns, lookups, problems):
        """The delivery address of the orders naming one: complete, in a known
        country and state, with a phone valid there. Sets ``order["delivery"]``
        to the values of the delivery contact."""
        for order in orders:
            values = order["values"]
            customer = values.get("customer")
            if not customer or not any(values.get(key) for key in DELIVERY_KEYS):
                continue

            def problem(key, message, order=order):
                row = order["value_rows"].get(key, order["row"])
                problems.append(
                    Problem(row, columns[key][0] if key in columns else None, message)
                )

            missing = [
                columns[key][1] if key in columns else label
                for key, label in (
                    ("delivery_name", "Delivery Contact"),
                    ("delivery_street", "Delivery Address"),
                    ("delivery_city", "Delivery City"),
                )
                if not values.get(key)
            ]
            if missing:
                problems.append(
                    Problem(
                        order["row"],
                        None,
                        self.env._(
                            "order %(ref)s names a delivery address but %(missing)s "
                            "is empty; give the contact, the address and the city, "
                            "or leave all delivery columns empty.",
                            ref=order["ref"],
                            missing=", ".join(missing),
                        ),
                    )
                )
            country = customer.country_id or self.company_id.country_id
            if values.get("delivery_country"):
                country = self._match_country(
                    lookups["countries"], values["delivery_country"]
                )
                if not country:
                    problem(
                        "delivery_country",
                        self.env._(
                            "no country has the code or name %(value)s.",
                            value=f'"{values["delivery_country"]}"',
                        ),
                    )
            state = self.env["res.country.state"]
            street2 = False
            country_states = lookups["states"].filtered(
                lambda s, country=country: s.country_id == country
            )
            if values.get("delivery_state") and country and not country_states:
                # Odoo knows no provinces or states of this country: the text
                # stays in the address.
                street2 = values["delivery_state"]
            elif values.get("delivery_state") and country:
                state = self._match_state(country_states, values["delivery_state"])
                if not state:
                    problem(
                        "delivery_state",
                        self.env._(
                            "%(country)s has no province or state %(value)s.",
                            country=country.name,
                            value=f'"{values["delivery_state"]}"',
                        ),
                    )
            phone = values.get("delivery_phone")
            if phone and country:
                try:
                    phone_validation.phone_parse(phone, country.code)
                except UserError:
                    problem(
                        "delivery_phone",
                        self.env._(
                            "%(phone)s is not a valid phone number in %(country)s.",
                            phone=f'"{phone}"',
                            country=country.name,
                        ),
                    )
            order["delivery"] = {
                "parent_id": customer.id,
                "type": "delivery",
                "name": values.get("delivery_name"),
                "street": values.get("delivery_street"),
                "street2": street2,
                "city": values.get("delivery_city"),
                "zip": values.get("delivery_zip") or False,
                "state_id": state.id or False,
                "country_id": country.id or False,
                "phone": phone or False,
            }

    def _check_existing_orders(self, orders, columns, problems):
        """External references already used by a non-cancelled order of the
        same customer: the file, or part of it, was imported before."""
        refs = [order["ref"] for order in orders]
        if not refs:
            return
        # sudo: receivers may only read their own orders, and a duplicate must
        # be found whoever entered the first one. Only names are reported.
        existing = (
            self.env["sale.order"]
            .sudo()
            .search_fetch(
                [
                    ("client_order_ref", "in", refs),
                    ("state", "!=", "cancel"),
                    ("company_id", "=", self.company_id.id),
                ],
                ["name", "client_order_ref", "partner_id"],
            )
        )
        by_ref = defaultdict(list)
        for sale in existing:
            by_ref[sale.client_order_ref].append(sale)
        for order in orders:
            customer = order["values"].get("customer")
            if not customer:
                continue
            for sale in by_ref.get(order["ref"], []):
                if (
                    sale.partner_id.commercial_partner_id
                    == customer.commercial_partner_id
                ):
                    problems.append(
                        Problem(
                            order["row"],
                            columns["ref"][0],
                            self.env._(
                                "external reference %(ref)s is already used by order "
                                "%(order)s of %(customer)s: this order was imported "
                                "or entered before.",
                                ref=order["ref"],
                                order=sale.name,
                                customer=sale.partner_id.commercial_partner_id.display_name,
                            ),
                            duplicate=True,
                        )
                    )
                    break

    def _problems_message(self, problems, orders, header_cells):
        intro = self.env._(
            "Nothing was imported. Correct these problems in the file and import "
            "it again:"
        )
        if (
            orders
            and all(p.duplicate for p in problems)
            and len(problems) == len(orders)
        ):
            intro = self.env._(
                "Nothing was imported: every order of this file already exists, "
                "the file was imported before."
            )
        lines = []
        for row, index, message, __ in sorted(
            problems, key=lambda p: (p.row, -1 if p.column is None else p.column)
        ):
            if index is None:
                lines.append(
                    self.env._("Row %(row)s: %(message)s", row=row, message=message)
                )
            else:
                lines.append(
                    self.env._(
                        "Row %(row)s, column %(column)s (%(header)s): %(message)s",
                        row=row,
                        column=get_column_letter(index + 1),
                        header=clean_text(header_cells[index]),
                        message=message,
                    )
                )
        listed = lines[:MAX_LISTED_PROBLEMS]
        if len(lines) > MAX_LISTED_PROBLEMS:
            listed.append(
                self.env._(
                    "... and %(count)s more problems.",
                    count=len(lines) - MAX_LISTED_PROBLEMS,
                )
            )
        return "\n".join([intro, *listed])

    # ------------------------------------------------------------------
    # Creation
    # ------------------------------------------------------------------

    def _create_orders(self, orders):
        delivery_contacts = self._delivery_contacts(orders)
        tz = pytz.timezone(self.env.user.tz or "UTC")
        now = fields.Datetime.now()
        # The warehouse every order would compute for itself, computed once.
        warehouse = self.env["sale.order"].new({"company_id": self.company_id.id})
        warehouse = warehouse.warehouse_id
        vals_list = []
        for order in orders:
            values = order["values"]
            requested = values.get("requested_date")
            if requested:
                requested = (
                    tz.localize(requested).astimezone(pytz.utc).replace(tzinfo=None)
                )
            vals = {
                "partner_id": values["customer"].id,
                "client_order_ref": order["ref"],
                "order_channel": "import",
                "received_date": now,
                "origin": self.filename or False,
                "is_rush": bool(values.get("rush")),
                "commitment_date": requested or False,
                "customer_note": values.get("note") or False,
                "company_id": self.company_id.id,
                "warehouse_id": warehouse.id,
                "order_line": [
                    Command.create(self._line_values(line)) for line in order["lines"]
                ],
            }
            delivery = delivery_contacts.get(order["ref"])
            if delivery:
                vals["partner_shipping_id"] = delivery.id
            vals_list.append(vals)
        return self.env["sale.order"].create(vals_list)

    @staticmethod
    def _line_values(line):
        values = {
            "product_id": line["product"].id,
            "product_uom_qty": line["quantity"],
        }
        if line["price_unit"] is not None:
            values["price_unit"] = line["price_unit"]
        if line["discount"] is not None:
            values["discount"] = line["discount"]
        return values

    def _delivery_contacts(self, orders):
        """``{external reference: delivery contact}`` for the orders naming a
        delivery address: the customer's existing delivery contact with the
        same details, else a new one."""
        wanted = {
            order["ref"]: order
            for order in orders
            if any(order["values"].get(key) for key in DELIVERY_KEYS)
        }
        if not wanted:
            return {}
        customers = self.env["res.partner"].union(
            *(order["values"]["customer"] for order in wanted.values())
        )
        existing = self.env["res.partner"].search_fetch(
            [("parent_id", "in", customers.ids), ("type", "=", "delivery")],
            [
                "parent_id",
                "name",
                "street",
                "street2",
                "city",
                "zip",
                "state_id",
                "country_id",
                "phone",
            ],
        )
        by_key = {
            self._address_key(contact.parent_id, contact): contact
            for contact in existing
        }
        result = {}
        to_create = {}
        for ref, order in wanted.items():
            vals = order["delivery"]
            key = self._address_key(order["values"]["customer"], vals)
            if key in by_key:
                result[ref] = by_key[key]
            else:
                to_create.setdefault(key, vals)
                result[ref] = key
        if to_create:
            # sudo: taking an order includes recording where it goes; receivers
            # have no right to create contacts in general, and only delivery
            # addresses of the customers found above are created.
            created = self.env["res.partner"].sudo().create(list(to_create.values()))
            created_by_key = dict(
                zip(to_create, created.with_env(self.env), strict=True)
            )
            result = {
                ref: created_by_key.get(value, value)
                if isinstance(value, tuple)
                else value
                for ref, value in result.items()
            }
        return result

    @staticmethod
    def _address_key(customer, contact):
        def get(name):
            value = (
                contact[name] if not isinstance(contact, dict) else contact.get(name)
            )
            if isinstance(value, models.BaseModel):
                value = value.id
            return (value or "").lower() if isinstance(value, str) else (value or False)

        return (
            customer.id,
            get("name"),
            get("street"),
            get("street2"),
            get("city"),
            get("zip"),
            get("state_id"),
            get("country_id"),
            get("phone"),
        )
