"""The columns and the parsing of the cells of an order batch file."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

EN_HEADER = ["External Order Reference", "Customer", "Product", "Quantity"]
ZH_HEADER = ["外部订单号", "客户", "产品", "数量"]


def full_width(text):
    """``text`` as Chinese input methods type it in full-width mode."""
    return "".join(
        "\u3000" if char == " " else chr(ord(char) + 0xFEE0) for char in text
    )


def invalid(cells, function, *args):
    """The ``InvalidCell`` that ``function(*args)`` raises, as (code, params)."""
    with pytest.raises(cells.InvalidCell) as caught:
        function(*args)
    return caught.value.code, caught.value.params


def test_loads_without_odoo():
    """The wizard's pure modules import nothing of Odoo."""
    code = (
        "import sys; sys.modules['odoo'] = None; "
        f"sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "import conftest; conftest.load_wizard_module('batch_import_cells'); "
        "import importlib.util; "
        "importlib.util.find_spec('openpyxl') and "
        "conftest.load_wizard_module('batch_import_reader')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# Text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  a \n\t b  ", "a b"),
        (12.0, "12"),
        (12.5, "12.5"),
        (7, "7"),
        (datetime.datetime(2026, 12, 31, 8, 30), "2026-12-31 08:30:00"),
        (datetime.date(2026, 12, 31), "2026-12-31"),
        # Full-width letters, digits and spaces of Chinese input methods.
        (full_width("ABC 123"), "ABC 123"),
    ],
)
def test_clean_text(cells, value, text):
    assert cells.clean_text(value) == text


def test_text_cells(cells):
    assert cells.parse_text("ref", "  PO-1 ") == "PO-1"
    assert cells.parse_text("ref", 1001.0) == "1001"
    assert cells.parse_text("delivery_name", "  ") is None
    assert cells.parse_text("delivery_name", None) is None
    # A note keeps its line breaks; other cells are one line.
    assert cells.parse_text("note", " line 1\nline 2 ") == "line 1\nline 2"
    assert cells.parse_text("delivery_city", "Shang\nhai") == "Shang hai"


def test_text_cells_too_long(cells):
    assert cells.parse_text("ref", "x" * 256) == "x" * 256
    assert invalid(cells, cells.parse_text, "ref", "x" * 257) == (
        "too_long",
        {"length": 257, "max": 256},
    )
    assert cells.parse_text("note", "x" * 2000) == "x" * 2000
    assert invalid(cells, cells.parse_text, "note", "x" * 2001) == (
        "too_long",
        {"length": 2001, "max": 2000},
    )
    assert invalid(cells, cells.parse_text, "delivery_street", "x" * 2001)[0] == (
        "too_long"
    )


def test_vat_key(cells):
    assert cells.vat_key("91 3100-00.12x") == "9131000012X"


# Numbers


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (3, 3.0),
        (2.5, 2.5),
        ("3", 3.0),
        (" 7 ", 7.0),
        ("1,234.50", 1234.5),
        ("1,234,567", 1234567.0),
        # Three digits after one comma: thousands, not decimals.
        ("1,234", 1234.0),
        ("12,5", 12.5),
        ("-12,5", -12.5),
        ("¥ 1,200", 1200.0),
        ("￥1,200", 1200.0),
        ("$3", 3.0),
        ("€2.5", 2.5),
        (full_width("12"), 12.0),
        (full_width("1,234.5"), 1234.5),
    ],
)
def test_numbers(cells, value, number):
    assert cells.to_number(value) == number


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        "abc",
        "1.234,5",
        "1,2,3",
        "nan",
        float("nan"),
        "12 kg",
        "inf",
        "-inf",
        "1e999",
        float("inf"),
    ],
)
def test_not_numbers(cells, value):
    assert cells.to_number(value) is None


def test_quantity(cells):
    assert cells.parse_quantity("1,000") == 1000.0
    assert cells.parse_quantity(0.5) == 0.5
    assert cells.parse_quantity(None) is None
    assert cells.parse_quantity("") is None
    for value, text in ((0, "0"), (-1, "-1"), ("abc", "abc"), (True, "True")):
        assert invalid(cells, cells.parse_quantity, value) == (
            "quantity",
            {"value": text},
        )


def test_price(cells):
    assert cells.parse_price(0) == 0.0
    assert cells.parse_price("25,50") == 25.5
    assert cells.parse_price(None) is None
    assert invalid(cells, cells.parse_price, -1) == ("price", {"value": "-1"})
    assert invalid(cells, cells.parse_price, "free") == ("price", {"value": "free"})


# Discounts


@pytest.mark.parametrize(
    ("value", "discount"),
    [
        (10, 10.0),
        (0, 0.0),
        (100, 100.0),
        ("10%", 10.0),
        (" 10 % ", 10.0),
        ("12,5", 12.5),
        (full_width("10%"), 10.0),
        (33.33333333, 33.333333),
    ],
)
def test_discounts(cells, value, discount):
    assert cells.parse_discount(value) == discount


def test_discount_from_a_percentage_cell(cells):
    """A cell formatted as 10% holds 0.1."""
    assert cells.parse_discount(cells.Percentage(0.1)) == 10.0
    assert cells.parse_discount(cells.Percentage(0.125)) == 12.5


@pytest.mark.parametrize(
    ("value", "text"),
    [(101, "101"), (-1, "-1"), ("abc", "abc"), (True, "True"), ("150%", "150%")],
)
def test_bad_discounts(cells, value, text):
    assert invalid(cells, cells.parse_discount, value) == ("discount", {"value": text})


def test_empty_discount(cells):
    assert cells.parse_discount(None) is None
    assert cells.parse_discount("") is None


# Booleans


@pytest.mark.parametrize(
    "value",
    ["yes", "Yes", "Y", "true", "x", "1", 1, 1.0, True, "urgent", "是", "对", "加急"],
)
def test_true_words(cells, value):
    assert cells.parse_bool(value) is True


@pytest.mark.parametrize(
    "value", ["no", "NO", "n", "false", "0", 0, False, "否", "不", "不加急"]
)
def test_false_words(cells, value):
    assert cells.parse_bool(value) is False


def test_bad_and_empty_booleans(cells):
    assert cells.parse_bool(None) is None
    assert cells.parse_bool("") is None
    assert invalid(cells, cells.parse_bool, " maybe ") == (
        "boolean",
        {"value": "maybe"},
    )
    assert invalid(cells, cells.parse_bool, 2) == ("boolean", {"value": "2"})


# Dates


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2026-12-31", datetime.datetime(2026, 12, 31, 12)),
        ("2026/12/31", datetime.datetime(2026, 12, 31, 12)),
        ("2026.12.31", datetime.datetime(2026, 12, 31, 12)),
        ("20261231", datetime.datetime(2026, 12, 31, 12)),
        ("2026年12月31日", datetime.datetime(2026, 12, 31, 12)),
        ("2026年1月5日", datetime.datetime(2026, 1, 5, 12)),
        (full_width("2026-12-31"), datetime.datetime(2026, 12, 31, 12)),
        ("2026-12-31 08:30", datetime.datetime(2026, 12, 31, 8, 30)),
        ("2026-12-31 08:30:15", datetime.datetime(2026, 12, 31, 8, 30, 15)),
        ("2026/12/31 08:30", datetime.datetime(2026, 12, 31, 8, 30)),
        ("2026/12/31 08:30:15", datetime.datetime(2026, 12, 31, 8, 30, 15)),
    ],
)
def test_dates(cells, text, date):
    assert cells.parse_date(text) == date


def test_date_cells(cells):
    """Spreadsheet dates: a date alone is taken at midday, the same calendar
    day in every time zone."""
    moment = datetime.datetime(2026, 12, 31, 8, 30)
    assert cells.parse_date(moment) is moment
    assert cells.parse_date(datetime.date(2026, 12, 31)) == datetime.datetime(
        2026, 12, 31, 12
    )
    assert cells.parse_date(None) is None
    assert cells.parse_date("") is None


@pytest.mark.parametrize("text", ["31/12/2026", "2026-13-01", "tomorrow", "12/31"])
def test_bad_dates(cells, text):
    assert invalid(cells, cells.parse_date, f" {text} ") == ("date", {"value": text})


# Cells of a row


def test_formula_and_error_cells(cells):
    formula = cells.Formula("=SUM(" + "A1," * 40 + "A2)")
    assert invalid(cells, cells.parse_cell, "quantity", formula) == (
        "formula",
        {"formula": formula[:60]},
    )
    assert invalid(cells, cells.parse_cell, "ref", cells.CellError("#N/A")) == (
        "spreadsheet_error",
        {"error": "#N/A"},
    )


def test_each_column_has_its_parser(cells):
    assert cells.parse_cell("quantity", "2") == 2.0
    assert cells.parse_cell("price_unit", "2") == 2.0
    assert cells.parse_cell("discount", "2%") == 2.0
    assert cells.parse_cell("rush", "是") is True
    assert cells.parse_cell("requested_date", "2026-12-31") == datetime.datetime(
        2026, 12, 31, 12
    )
    assert cells.parse_cell("product", 6901234567892) == "6901234567892"
    assert invalid(cells, cells.parse_cell, "price_unit", "-2") == (
        "price",
        {"value": "-2"},
    )


def test_parse_row(cells):
    columns = {"ref": (0, "Ref"), "quantity": (1, "Qty"), "note": (5, "Note")}
    row = cells.parse_row(7, ["PO-1", "zero", None, None], columns)
    assert row.number == 7
    assert row.values == {"ref": "PO-1", "quantity": None, "note": None}
    assert row.texts == {"ref": "PO-1", "quantity": "zero", "note": ""}
    assert list(row.errors) == ["quantity"]
    assert row.errors["quantity"].code == "quantity"


def test_parse_row_shortens_texts_for_messages(cells):
    row = cells.parse_row(2, ["x" * 300], {"ref": (0, "Ref")})
    assert row.texts["ref"] == "x" * 60
    assert row.errors["ref"].code == "too_long"


# Header


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("External Order Reference", "ref"),
        ("external  order reference", "ref"),
        ("External Order Reference *", "ref"),
        ("外部订单号", "ref"),
        ("外部订单号 *", "ref"),
        ("客户订单号", "ref"),
        ("Customer", "customer"),
        ("客户编码", "customer"),
        ("Delivery Phone", "delivery_phone"),
        ("联系电话", "delivery_phone"),
        ("省/州", "delivery_state"),
        ("Discount (%)", "discount"),
        ("折扣(%)", "discount"),
        # Full-width brackets and percent sign.
        ("折扣" + full_width("(%)"), "discount"),
        ("要求交货日期", "requested_date"),
        ("Note", "note"),
        ("备注", "note"),
    ],
)
def test_header_keys(cells, header, key):
    assert cells.header_key(header) == key


def test_every_column_named_in_english_and_chinese(cells):
    for column in cells.COLUMNS:
        assert cells.header_key(column.english) == column.key
        assert cells.header_key(column.chinese) == column.key
        for alias in column.aliases:
            assert cells.header_key(alias) == column.key
    assert cells.header_key("Colour") is None


def test_map_header_english_and_chinese(cells):
    expected = {"ref": 0, "customer": 1, "product": 3, "quantity": 4}
    for header in (EN_HEADER, ZH_HEADER):
        columns = cells.map_header([*header[:2], None, *header[2:]])
        assert {key: index for key, (index, __) in columns.items()} == expected
    columns = cells.map_header([" 外部订单号 * ", "客户", "产品", "数量"])
    assert columns["ref"] == (0, "外部订单号 *")


def test_map_header_problems(cells):
    with pytest.raises(cells.InvalidHeader) as caught:
        cells.map_header(["Customer", "Colour", "客户", "Quantity", ""])
    assert caught.value.problems == [
        ("unknown", {"index": 1, "header": "Colour"}),
        ("twice", {"first": 0, "second": 2, "header": "客户"}),
        ("missing", {"headers": ["External Order Reference", "Product"]}),
    ]
