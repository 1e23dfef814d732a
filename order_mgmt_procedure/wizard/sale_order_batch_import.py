"""Batch import of orders: the wizard, its template and the import as a whole.

Each step of the import extends the wizard in a file of its own: reading the
file (``_reading``), checking its rows (``_validation``), delivery addresses
(``_delivery``) and creating the orders (``_creation``). What needs no Odoo is
in ``batch_import_reader`` (the file) and ``batch_import_cells`` (the cells).
"""

import base64
import datetime
import io

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .batch_import_cells import (
    CODE_KEYS,
    COLUMN_KEYS,
    COLUMNS,
    Problems,
    clean_text,
)

# Problems listed in one message; the rest are counted.
MAX_LISTED_PROBLEMS = 100


class SaleOrderBatchImport(models.TransientModel):
    _name = "sale.order.batch.import"
    _description = "Batch Import of Orders"

    # === FIELDS === #

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

    # === COMPUTE METHODS === #

    @api.depends_context("lang", "uid")
    def _compute_template_file(self):
        localized = self._in_user_language()
        content = base64.b64encode(localized._build_template())
        for wizard in self:
            wizard.template_file = content
            wizard.template_filename = localized.env._("order_import_template.xlsx")

    # === ACTION METHODS === #

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

    def action_import(self):
        """Create the file's orders, all of them or none."""
        self.ensure_one()
        return self._in_user_language()._import_file()

    # === BUSINESS METHODS === #

    def _in_user_language(self):
        """Web client calls carry the user's language; external API calls
        may not, and the user still reads the template and the problems in
        their own language."""
        if self.env.context.get("lang"):
            return self
        return self.with_context(lang=self.env.user.lang)

    def _check_import_access(self):
        """Who may import: order receivers (the portal upload extends it)."""
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            raise AccessError(self.env._("Only order receivers may import orders."))

    def _import_file(self):
        """Read the file three times, one row at a time: to collect what it
        names (``_scan_rows``), to check every row and order (nothing of
        them kept but the report) and, when nothing is wrong, to create the
        orders chunk by chunk. The memory it needs does not grow with the
        file beyond the file itself, the references of its orders and the
        records it names."""
        self._check_import_access()
        rows = self._row_source()
        scan = self._scan_rows(rows)
        line_count = scan.line_count
        lookups = self._lookup_records(scan.wanted)
        order_count, problems = self._check_orders(rows, scan, lookups)
        if problems:
            raise UserError(self._problems_message(problems, order_count, scan.header))
        if self._import_in_background(line_count):
            return self._start_background_import(line_count)
        orders = self._create_orders(self._checked_orders(rows, scan, lookups))
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

    # BACKGROUND IMPORT #

    def _import_in_background(self, line_count):
        """Whether the checked file is imported by a background job: OCA
        queue_job is installed and the file has more lines than the company's
        threshold. ``batch_import_synchronous`` in the context (the job
        itself, or a caller that needs the orders at once) keeps it here."""
        threshold = self.company_id.batch_import_background_rows
        return (
            not self.env.context.get("batch_import_synchronous")
            and threshold > 0
            and line_count > threshold
            and self.env["sale.order.batch.import.job"]._is_available()
        )

    def _start_background_import(self, line_count):
        """Queue the import of the file as the current receiver; opens the
        record showing its progress and, at the end, its orders or report."""
        job = self.env["sale.order.batch.import.job"]._create_procedure_facts(
            [
                {
                    "name": self.filename or self.env._("the file"),
                    "file": self.file,
                    "submit_for_review": self.submit_for_review,
                    "line_count": line_count,
                    "user_id": self.env.uid,
                    "company_id": self.company_id.id,
                }
            ]
        )
        job._enqueue()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Background Import"),
            "res_model": job._name,
            "res_id": job.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def _checked_orders(self, rows, scan, lookups):
        """The orders to create, built again from the file as it was checked;
        a problem found now (not expected: the file was checked) raises, and
        the orders created before it are rolled back with the import."""
        problems = Problems(MAX_LISTED_PROBLEMS)
        yield from self._iter_orders(rows, scan, lookups, problems, False)
        if problems:
            raise UserError(
                self._problems_message(problems, len(scan.last_rows), scan.header)
            )

    def _problems_message(self, problems, orders, header_cells):
        """The report: ``problems`` (``Problems``, or a list of ``Problem``),
        ``orders`` the file's orders or their number."""
        if not isinstance(problems, Problems):
            problems = Problems(MAX_LISTED_PROBLEMS, problems)
        order_count = orders if isinstance(orders, int) else len(orders)
        intro = self.env._(
            "Nothing was imported. Correct these problems in the file and import "
            "it again:"
        )
        if (
            order_count
            and problems.duplicates == problems.count
            and problems.count == order_count
        ):
            intro = self.env._(
                "Nothing was imported: every order of this file already exists, "
                "the file was imported before."
            )
        lines = []
        for row, index, message, __ in problems:
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
        more = problems.count - len(listed)
        if more:
            listed.append(self.env._("... and %(count)s more problems.", count=more))
        return "\n".join([intro, *listed])

    # TEMPLATE #

    def _build_template(self):
        """An .xlsx with the header in the user's language, one example order
        of two lines, and a sheet explaining every column."""
        chinese = (self.env.lang or "").startswith("zh")
        workbook = openpyxl.Workbook()
        self._write_template_orders(workbook.active, chinese)
        notes = workbook.create_sheet(self.env._("Instructions"))
        self._write_template_instructions(notes, chinese)
        stream = io.BytesIO()
        workbook.save(stream)
        return stream.getvalue()

    def _write_template_orders(self, sheet, chinese):
        sheet.title = self.env._("Orders")
        bold = Font(bold=True)
        required_fill = PatternFill("solid", fgColor="FFF2CC")
        for index, column in enumerate(COLUMNS, start=1):
            header = column.chinese if chinese else column.english
            required = self._is_template_column_required(column)
            cell = sheet.cell(
                row=1, column=index, value=f"{header} *" if required else header
            )
            cell.font = bold
            if required:
                cell.fill = required_fill
            sheet.column_dimensions[get_column_letter(index)].width = max(
                14, len(header) + 4
            )
            if column.key in CODE_KEYS:
                for row in range(2, 1001):
                    sheet.cell(row=row, column=index).number_format = "@"
        for row, example in enumerate(self._template_example(), start=2):
            for index, key in enumerate(COLUMN_KEYS, start=1):
                sheet.cell(row=row, column=index, value=example.get(key))
        sheet.freeze_panes = "A2"

    def _is_template_column_required(self, column):
        """Whether the template marks ``column`` as to be filled (*)."""
        return column.required

    def _write_template_instructions(self, sheet, chinese):
        sheet.append(
            [self.env._("Column"), self.env._("Required"), self.env._("What to enter")]
        )
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        descriptions = self._column_descriptions()
        for column in COLUMNS:
            sheet.append(
                [
                    column.chinese if chinese else column.english,
                    self.env._("Yes")
                    if self._is_template_column_required(column)
                    else "",
                    descriptions[column.key],
                ]
            )
        sheet.column_dimensions["A"].width = 26
        sheet.column_dimensions["C"].width = 110

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
