"""Batch import of orders, reading: the file's rows and cells as values."""

import base64
import itertools
from collections import defaultdict, namedtuple

from openpyxl.utils import get_column_letter

from odoo import models
from odoo.exceptions import UserError

from ..tools.text import join_items
from . import batch_import_reader as reader
from .batch_import_cells import (
    InvalidHeader,
    Problem,
    map_header,
    parse_cells,
    parse_row,
)

# What the first reading of a file finds (``_scan_rows``): ``last_rows`` is
# ``{external reference: row number of the order's last line}``, ``wanted``
# ``{key: set of the values written}`` of the LOOKUP_KEYS.
Scan = namedtuple("Scan", "header_row header columns line_count last_rows wanted")
# The cells the wizard looks records up by.
LOOKUP_KEYS = ("customer", "product", "delivery_country", "delivery_state")
SCANNED_KEYS = ("ref", *LOOKUP_KEYS)


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS === #

    def _read_rows(self):
        """The file's non-empty rows as a list, header first; file-level
        problems raise. The import itself does not hold the rows: it reads
        them one at a time from ``_row_source`` (this is for a caller that
        wants them at once)."""
        rows = self._row_source()
        max_rows = self.company_id.batch_import_max_rows
        table = list(itertools.islice(rows(), max_rows + 2))
        self._check_row_count(len(table) - 1, max_rows)
        return table

    def _row_source(self):
        """A function giving the file's non-empty rows, header first, as
        ``(row number, [values])``: each call reads the file again, one row
        at a time (the import reads it once to collect what it looks up,
        once to check it and once to create the orders, and never holds more
        than the rows of the orders being built). File-level problems raise
        as the rows are read; an empty or too large file raises here."""
        name = self.filename or self.env._("the file")
        data = self._file_data(name)
        filename = self.filename or ""

        def rows():
            try:
                yield from reader.iter_rows(data, filename)
            except reader.BatchFileError as error:
                raise UserError(self._file_error_message(error, name)) from error

        return rows

    def _check_row_count(self, line_count, max_rows):
        """A file of no order line, or of more than ``max_rows``, raises."""
        name = self.filename or self.env._("the file")
        if line_count < 1:
            raise UserError(
                self.env._(
                    "%(file)s contains no orders: it needs the header row of the "
                    "template and at least one order line below it.",
                    file=name,
                )
            )
        if line_count > max_rows:
            raise UserError(
                self.env._(
                    "%(file)s has more than %(max)s order lines; split it into "
                    "smaller files or raise the limit in Settings > Order Procedure.",
                    file=name,
                    max=max_rows,
                )
            )

    def _scan_rows(self, rows):
        """The first reading of the file: its header and columns, its number
        of order lines, the last row of each order (an order is complete,
        checked and created once its last row is read, whatever the order of
        the rows) and the distinct customers, products, countries and states
        it names (looked up once for the file). Nothing of the rows is kept.
        Too many rows, none, or a header unlike the template's raise.

        ``rows``: a function giving the rows, as ``_row_source`` does."""
        max_rows = self.company_id.batch_import_max_rows
        iterator = rows()
        header_row, header = next(iterator, (None, None))
        try:
            columns = map_header(header) if header is not None else None
        except InvalidHeader:
            # Reported below, after the file's size.
            columns = None
        line_count = 0
        last_rows = {}
        wanted = defaultdict(set)
        for number, cells in iterator:
            line_count += 1
            if line_count > max_rows:
                break
            if columns is None:
                continue
            values = parse_cells(cells, columns, SCANNED_KEYS)
            if values.get("ref"):
                last_rows[values["ref"]] = number
            for key in LOOKUP_KEYS:
                if values.get(key):
                    wanted[key].add(values[key])
        self._check_row_count(line_count, max_rows)
        if columns is None:
            columns = self._map_header(header_row, header)
        return Scan(header_row, header, columns, line_count, last_rows, wanted)

    def _file_data(self, name):
        """The file's bytes; an empty or too large file raises."""
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
        return data

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

    def _map_header(self, row_number, header):
        """``{key: (column index, header text)}``; header problems raise."""
        try:
            return map_header(header)
        except InvalidHeader as error:
            problems = [
                self._header_problem_message(code, params)
                for code, params in error.problems
            ]
            raise UserError(
                self.env._(
                    "The header (row %(row)s) does not match the template:\n"
                    "%(problems)s",
                    row=row_number,
                    problems="\n".join(f"- {problem}" for problem in problems),
                )
            ) from error

    def _header_problem_message(self, code, params):
        if code == "unknown":
            return self.env._(
                "Column %(letter)s: %(header)s is not a column of the template.",
                letter=get_column_letter(params["index"] + 1),
                header=f'"{params["header"]}"',
            )
        if code == "twice":
            return self.env._(
                "Columns %(first)s and %(second)s both hold %(header)s.",
                first=get_column_letter(params["first"] + 1),
                second=get_column_letter(params["second"] + 1),
                header=f'"{params["header"]}"',
            )
        return self.env._(
            "Required columns are missing: %(columns)s. Start from the "
            "template; its first row must be kept as it is.",
            columns=join_items(self.env, params["headers"]),
        )

    def _parse_rows(self, rows, columns, problems):
        """The ``Row`` of each order line; cells that cannot be used are
        added to ``problems``."""
        return [
            self._parse_row(number, cells, columns, problems) for number, cells in rows
        ]

    def _parse_row(self, number, cells, columns, problems):
        """The ``Row`` of one order line; its cells that cannot be used are
        added to ``problems``."""
        row = parse_row(number, cells, columns)
        for key, error in row.errors.items():
            problems.append(Problem(number, columns[key][0], self._cell_message(error)))
        return row

    def _cell_message(self, error):
        """The message of an ``InvalidCell``."""
        code, params = error.code, error.params
        value = f'"{params.get("value", "")}"'
        if code == "formula":
            return self.env._(
                "holds the formula %(formula)s; paste the values instead of formulas.",
                formula=params["formula"],
            )
        if code == "spreadsheet_error":
            return self.env._(
                "holds the spreadsheet error %(error)s.", error=params["error"]
            )
        if code == "quantity":
            return self.env._(
                "the quantity must be a number greater than zero, not %(value)s.",
                value=value,
            )
        if code == "price":
            return self.env._(
                "the price must be a number, zero or more, not %(value)s.",
                value=value,
            )
        if code == "discount":
            return self.env._(
                "the discount must be a percentage between 0 and 100, not %(value)s.",
                value=value,
            )
        if code == "boolean":
            return self.env._("write yes or no (是 or 否), not %(value)s.", value=value)
        if code == "date":
            return self.env._(
                "%(value)s is not a date in a known format; write it as YYYY-MM-DD, "
                "for example 2026-12-31.",
                value=value,
            )
        return self.env._(
            "has %(length)s characters; at most %(max)s are allowed.",
            length=params["length"],
            max=params["max"],
        )
