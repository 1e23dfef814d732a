"""The columns of an order batch file and the parsing of its cells.

Knows nothing of Odoo, like ``batch_import_reader``: a header or a cell that
cannot be used raises ``InvalidHeader`` or ``InvalidCell`` with a code and
parameters, which the import wizard turns into a message in the user's
language.
"""

import datetime
import heapq
import itertools
import math
import re
import unicodedata
from collections import namedtuple

Column = namedtuple("Column", "key english chinese aliases required")
# A row's cells by column key: ``values`` parsed (None when empty or invalid),
# ``texts`` as written (shortened, for messages), ``errors`` the ``InvalidCell``
# of the cells that cannot be used.
Row = namedtuple("Row", "number values texts errors")
# What the wizard reports: ``column`` is an index in the row, or None for the
# whole row; ``duplicate``: the order exists already (a file imported twice is
# told so).
Problem = namedtuple("Problem", "row column message duplicate", defaults=(False,))


class Problems:
    """The problems found in a file, as a list of ``Problem`` would hold
    them for the report, without holding them all: the first ``keep`` in
    the report's order (by row, then column, the row's own problems first,
    then in the order they were found) and how many there are in all, and
    how many of them are duplicates. A file with a problem on each of its
    100,000 rows is reported without keeping 100,000 messages."""

    def __init__(self, keep, problems=()):
        self.keep = keep
        self.count = 0
        self.duplicates = 0
        # The kept problems as a heap whose root is the last of them in the
        # report's order: a problem found later that comes before it in the
        # report takes its place.
        self._heap = []
        self._sequence = itertools.count()
        for problem in problems:
            self.append(problem)

    def append(self, problem):
        self.count += 1
        if problem.duplicate:
            self.duplicates += 1
        column = -1 if problem.column is None else problem.column
        item = (-problem.row, -column, -next(self._sequence), problem)
        if len(self._heap) < self.keep:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def __len__(self):
        return self.count

    def __bool__(self):
        return bool(self.count)

    def __iter__(self):
        """The kept problems in the report's order."""
        return (item[3] for item in sorted(self._heap, reverse=True))

    @property
    def left_out(self):
        """How many problems were not kept."""
        return self.count - len(self._heap)


COLUMNS = [
    Column(
        "ref", "External Order Reference", "外部订单号", ("客户订单号", "订单号"), True
    ),
    Column("customer", "Customer", "客户", ("客户名称", "客户编码"), True),
    Column("delivery_name", "Delivery Contact", "收货人", ("收件人",), False),
    Column("delivery_phone", "Delivery Phone", "收货电话", ("联系电话", "电话"), False),
    Column("delivery_street", "Delivery Address", "收货地址", ("地址",), False),
    Column("delivery_city", "Delivery City", "收货城市", ("城市",), False),
    Column("delivery_state", "Delivery State", "省份", ("省/州", "省"), False),
    Column("delivery_zip", "Delivery ZIP", "邮编", ("邮政编码",), False),
    Column("delivery_country", "Delivery Country", "国家", ("国家/地区",), False),
    Column("product", "Product", "产品", ("产品编码", "商品编码", "条码"), True),
    Column("quantity", "Quantity", "数量", (), True),
    Column("price_unit", "Unit Price", "单价", (), False),
    Column("discount", "Discount (%)", "折扣(%)", ("discount", "折扣"), False),
    Column("rush", "Rush", "加急", (), False),
    Column("requested_date", "Requested Date", "要求交货日期", ("交货日期",), False),
    Column("note", "Note", "备注", (), False),
]
COLUMN_KEYS = [column.key for column in COLUMNS]
ENGLISH_HEADERS = {column.key: column.english for column in COLUMNS}
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
# Codes: the template formats them as text so that they keep leading zeros.
CODE_KEYS = ("ref", "customer", "product", "delivery_phone", "delivery_zip")
LONG_TEXT_KEYS = {"note", "delivery_street"}
MAX_TEXT = 256
MAX_LONG_TEXT = 2000

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
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
CURRENCY_SIGNS = "¥￥$€£ "


class Formula(str):
    """A cell holding a formula rather than a value (its text)."""


class CellError(str):
    """A cell holding a spreadsheet error such as #N/A (its code)."""


class Percentage(float):
    """A number formatted as a percentage in the workbook: 0.1 shows as 10%."""


class InvalidCell(ValueError):
    """A cell that cannot be used; ``code`` says why, ``params`` fill the
    message (``value``: the cell as text)."""

    def __init__(self, code, **params):
        super().__init__(code)
        self.code = code
        self.params = params


class InvalidHeader(ValueError):
    """A header row unlike the template's; ``problems`` lists
    ``(code, params)`` by column, then the missing columns."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


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


def normalize_header(text):
    text = unicodedata.normalize("NFKC", str(text)).strip().rstrip("*").strip()
    return re.sub(r"\s+", "", text).lower()


HEADER_KEYS = {
    normalize_header(label): column.key
    for column in COLUMNS
    for label in (column.english, column.chinese, *column.aliases)
}


def header_key(text):
    """The column key of a header in English or Chinese, or None."""
    return HEADER_KEYS.get(normalize_header(text))


def map_header(header):
    """``{key: (column index, header text)}`` of a header row; raises
    ``InvalidHeader`` with every problem (codes ``unknown``, ``twice``,
    ``missing``)."""
    columns = {}
    problems = []
    for index, value in enumerate(header):
        if value is None or value == "":
            continue
        text = clean_text(value)
        key = header_key(text)
        if not key:
            problems.append(("unknown", {"index": index, "header": text}))
        elif key in columns:
            problems.append(
                ("twice", {"first": columns[key][0], "second": index, "header": text})
            )
        else:
            columns[key] = (index, text)
    missing = [c.english for c in COLUMNS if c.required and c.key not in columns]
    if missing:
        problems.append(("missing", {"headers": missing}))
    if problems:
        raise InvalidHeader(problems)
    return columns


def vat_key(value):
    """A tax ID as written on a partner: no spaces, dots or dashes, upper case."""
    return re.sub(r"[\s.-]", "", value).upper()


def parse_cell(key, value):
    """The cell's value parsed for the column ``key``: None when empty."""
    if isinstance(value, Formula):
        raise InvalidCell("formula", formula=value[:60])
    if isinstance(value, CellError):
        raise InvalidCell("spreadsheet_error", error=str(value))
    parser = CELL_PARSERS.get(key)
    if parser:
        return parser(value)
    return parse_text(key, value)


def parse_row(number, cells, columns):
    """The ``Row`` of ``cells`` for the ``columns`` of ``map_header``."""
    row = Row(number, {}, {}, {})
    for key, (index, __) in columns.items():
        value = cells[index] if index < len(cells) else None
        row.texts[key] = clean_text(value)[:60]
        try:
            row.values[key] = parse_cell(key, value)
        except InvalidCell as error:
            row.values[key] = None
            row.errors[key] = error
    return row


def parse_cells(cells, columns, keys):
    """``{key: value}`` of the cells of the ``keys`` (among ``columns``),
    parsed as ``parse_row`` parses them; None when empty or invalid."""
    values = {}
    for key in keys:
        if key not in columns:
            continue
        index = columns[key][0]
        try:
            values[key] = parse_cell(key, cells[index] if index < len(cells) else None)
        except InvalidCell:
            values[key] = None
    return values


def _is_empty(value):
    return value is None or value == ""


def to_number(value):
    """A number written with or without thousands separators, a decimal comma
    or a currency sign, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
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
            return None
    # "nan", "inf" and overflowing cells are no quantity or price.
    return number if math.isfinite(number) else None


def parse_quantity(value):
    if _is_empty(value):
        return None
    number = to_number(value)
    if number is None or number <= 0:
        raise InvalidCell("quantity", value=clean_text(value))
    return number


def parse_price(value):
    if _is_empty(value):
        return None
    number = to_number(value)
    if number is None or number < 0:
        raise InvalidCell("price", value=clean_text(value))
    return number


def parse_discount(value):
    """A percentage: 10, "10%", "10,5" or a cell formatted as 10%."""
    if _is_empty(value):
        return None
    number = None
    if isinstance(value, Percentage):
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
        raise InvalidCell("discount", value=clean_text(value))
    return round(number, 6)


def parse_bool(value):
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise InvalidCell("boolean", value=clean_text(value))


def parse_date(value):
    """A naive datetime; a date alone is taken at midday."""
    if _is_empty(value):
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
    raise InvalidCell("date", value=text)


def parse_text(key, value):
    """Cleaned text (a note keeps its line breaks), None when empty."""
    text = clean_text(value)
    if key == "note" and value is not None:
        text = str(value).strip()
    limit = MAX_LONG_TEXT if key in LONG_TEXT_KEYS else MAX_TEXT
    if len(text) > limit:
        raise InvalidCell("too_long", length=len(text), max=limit)
    return text or None


CELL_PARSERS = {
    "quantity": parse_quantity,
    "price_unit": parse_price,
    "discount": parse_discount,
    "rush": parse_bool,
    "requested_date": parse_date,
}
