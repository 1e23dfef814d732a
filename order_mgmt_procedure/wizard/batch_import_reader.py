"""Reads the rows of an order batch file (.xlsx, .xls, .csv) as plain values.

Knows nothing of Odoo: problems with the file itself are raised as
``BatchFileError`` with a code and parameters, which the import wizard turns
into a message in the user's language. The kinds of cell it marks (formula,
spreadsheet error, percentage) are defined in ``batch_import_cells``.
"""

import codecs
import csv
import io
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from .batch_import_cells import CellError, Formula, Percentage

try:
    import xlrd
except ImportError:  # .xls files are then refused with a clear message
    xlrd = None

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# Office stores a password-protected .xlsx as an OLE file with this stream.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
SPREADSHEET_ERRORS = {
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
}
# More columns than any template has: a sheet with thousands of formatted
# but empty columns is not read cell by cell.
MAX_COLUMNS = 64
# Larger than any cell the template allows; the wizard names the cell.
CSV_FIELD_LIMIT = 1024 * 1024


class BatchFileError(Exception):
    """The file cannot be read at all; ``code`` says why."""

    def __init__(self, code, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def file_kind(data, filename):
    """'xlsx', 'xls' or 'csv', from the content first, then the name."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if extension and extension not in ("xlsx", "xlsm", "xls", "csv", "txt"):
        raise BatchFileError("file_type", extension=extension)
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise BatchFileError("password")
        return "xls"
    if extension in ("xlsx", "xlsm", "xls"):
        raise BatchFileError("corrupted")
    return "csv"


def iter_rows(data, filename):
    """The file's rows as ``(row_number, [values])``, empty rows left out,
    one at a time: a row is read when it is asked for, and nothing of the
    rows before it is kept (an .xlsx is read in openpyxl's read-only mode,
    a CSV file decoded as it is read). Each call reads the file again."""
    kind = file_kind(data, filename)
    reader = {"xlsx": _xlsx_rows, "xls": _xls_rows, "csv": _csv_rows}[kind]
    for row_number, values in reader(data):
        if all(value is None or value == "" for value in values):
            continue
        yield row_number, values


def read_rows(data, filename, max_rows):
    """The file's rows as a list of ``(row_number, [values])``, empty rows
    left out.

    Stops reading once ``max_rows + 1`` non-empty rows (header included) were
    seen: the caller refuses the file then, and a huge file is not read in
    full for that.
    """
    rows = []
    for row in iter_rows(data, filename):
        rows.append(row)
        if len(rows) > max_rows + 1:
            break
    return rows


def _xlsx_rows(data):
    try:
        # Not data_only: formulas are reported instead of trusting the value
        # a spreadsheet cached the last time it was saved.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        ParseError,
    ) as error:
        raise BatchFileError("corrupted") from error
    try:
        if not workbook.worksheets:
            raise BatchFileError("empty")
        sheet = workbook.worksheets[0]
        for row_number, cells in enumerate(
            sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1
        ):
            yield row_number, [_xlsx_value(cell) for cell in cells]
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, ParseError) as error:
        raise BatchFileError("corrupted") from error
    finally:
        workbook.close()


def _xlsx_value(cell):
    value = getattr(cell, "value", None)
    data_type = getattr(cell, "data_type", None)
    if value is None:
        return None
    if data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        return Formula(value)
    if data_type == "e":
        return CellError(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "%" in (getattr(cell, "number_format", "") or ""):
            return Percentage(value)
        return value
    if isinstance(value, str):
        return _text_value(value)
    return value


def _xls_rows(data):
    if xlrd is None:
        raise BatchFileError("xls_unsupported")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except xlrd.XLRDError as error:
        if "encrypted" in str(error).lower():
            raise BatchFileError("password") from error
        raise BatchFileError("corrupted") from error
    except (
        AssertionError,
        IndexError,
        KeyError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        UnicodeDecodeError,
    ) as error:
        raise BatchFileError("corrupted") from error
    if not book.nsheets:
        raise BatchFileError("empty")
    sheet = book.sheet_by_index(0)
    for index in range(sheet.nrows):
        cells = sheet.row(index)[:MAX_COLUMNS]
        yield index + 1, [_xls_value(book, cell) for cell in cells]


def _xls_value(book, cell):
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return CellError(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
        number_format = book.format_map.get(xf.format_key) if xf else None
        if number_format and "%" in number_format.format_str:
            return Percentage(cell.value)
        return cell.value
    return _text_value(cell.value)


def _csv_rows(data):
    """The rows of a CSV file, decoded as they are read: no decoded copy of
    the whole file is made."""
    encoding = _csv_encoding(data)
    delimiter = _csv_delimiter(data, encoding)
    previous_limit = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
        reader = csv.reader(stream, delimiter=delimiter)
        for row_number, cells in enumerate(reader, start=1):
            yield row_number, [_csv_value(cell) for cell in cells[:MAX_COLUMNS]]
    except csv.Error as error:
        raise BatchFileError("csv_malformed", detail=str(error)) from error
    finally:
        csv.field_size_limit(previous_limit)


# Bytes decoded at a time to check a CSV file's encoding.
DECODE_CHUNK = 1024 * 1024


def _csv_encoding(data):
    """The encoding of a CSV file: UTF-8 (with or without BOM), UTF-16 with
    BOM (Excel's "Unicode text"), else GB18030, the superset of GBK that
    Chinese editions of Excel and WPS save CSV files in. The whole file is
    decoded chunk by chunk to check it, nothing of it kept."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in data:
        raise BatchFileError("not_text")
    else:
        encodings = ("utf-8", "gb18030")
    view = memoryview(data)
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for offset in range(0, len(data), DECODE_CHUNK):
                chunk = view[offset : offset + DECODE_CHUNK]
                if "\x00" in decoder.decode(chunk):
                    raise BatchFileError("not_text")
            if "\x00" in decoder.decode(b"", final=True):
                raise BatchFileError("not_text")
        except UnicodeDecodeError:
            continue
        return encoding
    raise BatchFileError("encoding")


def _csv_delimiter(data, encoding):
    """Tab, semicolon or comma: the most frequent in the first non-empty line."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first_line = next((line for line in stream if line.strip()), "")
    delimiter = max(("\t", ";", ","), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    return delimiter


def _csv_value(text):
    text = text.strip()
    if not text:
        return None
    if text.startswith("=") and len(text) > 1:
        return Formula(text)
    if text.upper() in SPREADSHEET_ERRORS:
        return CellError(text.upper())
    return text


def _text_value(text):
    if text.strip().upper() in SPREADSHEET_ERRORS:
        return CellError(text.strip().upper())
    return text
