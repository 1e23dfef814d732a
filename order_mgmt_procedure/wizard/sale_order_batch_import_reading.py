"""Batch import of orders, reading: the file's rows and cells as values."""

import base64

from openpyxl.utils import get_column_letter

from odoo import models
from odoo.exceptions import UserError

from ..tools.text import join_items
from . import batch_import_reader as reader
from .batch_import_cells import InvalidHeader, Problem, map_header, parse_row


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS === #

    def _read_rows(self):
        """The file's non-empty rows, header first; file-level problems raise."""
        name = self.filename or self.env._("the file")
        data = self._file_data(name)
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
        parsed = []
        for number, cells in rows:
            row = parse_row(number, cells, columns)
            for key, error in row.errors.items():
                problems.append(
                    Problem(number, columns[key][0], self._cell_message(error))
                )
            parsed.append(row)
        return parsed

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
