"""Reading the rows of an order batch file (.xlsx, .xls, .csv)."""

import datetime
import io

import pytest

openpyxl = pytest.importorskip("openpyxl")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def file_error(reader, data, filename, max_rows=10):
    """The ``BatchFileError`` reading the file raises, as (code, params)."""
    with pytest.raises(reader.BatchFileError) as caught:
        reader.read_rows(data, filename, max_rows)
    return caught.value.code, caught.value.params


def xlsx(rows, hook=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if hook:
        hook(sheet)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# Kind of file


def test_file_kind_from_content_first(reader):
    assert reader.file_kind(b"PK\x03\x04...", "orders.csv") == "xlsx"
    assert reader.file_kind(OLE_MAGIC + b"...", "orders.xlsx") == "xls"
    assert reader.file_kind(b"a,b\n", "orders.txt") == "csv"
    assert reader.file_kind(b"a,b\n", "") == "csv"


def test_refused_files(reader):
    assert file_error(reader, b"%PDF-1.7", "orders.pdf") == (
        "file_type",
        {"extension": "pdf"},
    )
    assert file_error(reader, b"not a workbook", "orders.xlsx") == ("corrupted", {})
    assert file_error(reader, b"PK\x03\x04 truncated", "orders.xlsx") == (
        "corrupted",
        {},
    )
    encrypted = OLE_MAGIC + "EncryptedPackage".encode("utf-16-le")
    assert file_error(reader, encrypted, "orders.xlsx") == ("password", {})


# CSV


def test_csv_utf8_with_bom_and_empty_rows(reader):
    data = "\ufeffref,qty\n\nPO-1, 2 \n,\nPO-2,3\n".encode()
    assert reader.read_rows(data, "orders.csv", 10) == [
        (1, ["ref", "qty"]),
        (3, ["PO-1", "2"]),
        (5, ["PO-2", "3"]),
    ]


def test_csv_gb18030_with_semicolons(reader):
    data = "外部订单号;数量\nPO-1;2\n".encode("gb18030")
    assert reader.read_rows(data, "orders.csv", 10) == [
        (1, ["外部订单号", "数量"]),
        (2, ["PO-1", "2"]),
    ]


def test_csv_utf16_with_tabs(reader):
    data = "ref\tqty\nPO-1\t2\n".encode("utf-16")
    assert reader.read_rows(data, "orders.txt", 10)[1] == (2, ["PO-1", "2"])


def test_csv_formulas_and_errors(reader):
    data = b"ref,qty\nPO-1,=1+1\nPO-2,#n/a\n"
    rows = reader.read_rows(data, "orders.csv", 10)
    assert isinstance(rows[1][1][1], reader.Formula)
    assert rows[1][1][1] == "=1+1"
    assert isinstance(rows[2][1][1], reader.CellError)
    assert rows[2][1][1] == "#N/A"


def test_text_that_is_not_csv(reader):
    assert file_error(reader, b"ref\x00qty", "orders.csv") == ("not_text", {})
    assert file_error(reader, b"\xff\xfe\xff", "orders.csv")[0] == "encoding"


def test_stops_reading_past_the_limit(reader):
    """One row more than the header and ``max_rows`` lines: enough for the
    wizard to refuse the file without reading all of it."""
    data = "\n".join(["ref"] + [f"PO-{i}" for i in range(100)]).encode()
    assert len(reader.read_rows(data, "orders.csv", 5)) == 7


# Excel


def test_xlsx_values(reader):
    def formats(sheet):
        sheet["C2"].number_format = "0%"

    data = xlsx(
        [
            ["ref", "qty", "discount", "date", "total", "code"],
            ["PO-1", 2, 0.1, datetime.datetime(2026, 12, 31), "=B2*2", " #REF! "],
        ],
        formats,
    )
    header, (number, values) = reader.read_rows(data, "orders.xlsx", 10)
    assert header[1][:6] == ["ref", "qty", "discount", "date", "total", "code"]
    assert number == 2
    assert values[:2] == ["PO-1", 2]
    assert isinstance(values[2], reader.Percentage)
    assert values[3] == datetime.datetime(2026, 12, 31)
    assert isinstance(values[4], reader.Formula)
    assert isinstance(values[5], reader.CellError)
    assert values[5] == "#REF!"


def test_xlsx_header_maps_to_columns(reader, cells):
    data = xlsx([["外部订单号 *", "客户 *", "产品 *", "数量 *"], ["PO-1", "C", "P", 1]])
    header = reader.read_rows(data, "orders.xlsx", 10)[0][1]
    assert list(cells.map_header(header)) == ["ref", "customer", "product", "quantity"]


def test_xls_values(reader):
    xlwt = pytest.importorskip("xlwt")
    pytest.importorskip("xlrd")
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Orders")
    percent = xlwt.easyxf(num_format_str="0%")
    for column, value in enumerate(["ref", "qty", "discount"]):
        sheet.write(0, column, value)
    sheet.write(1, 0, "PO-1")
    sheet.write(1, 1, 2)
    sheet.write(1, 2, 0.1, percent)
    stream = io.BytesIO()
    workbook.save(stream)
    rows = reader.read_rows(stream.getvalue(), "orders.xls", 10)
    assert rows[1][1][:2] == ["PO-1", 2.0]
    assert isinstance(rows[1][1][2], reader.Percentage)
