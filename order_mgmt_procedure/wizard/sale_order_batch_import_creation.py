"""Batch import of orders, creation: the checked orders created at once."""

import pytz
from psycopg2 import errors

from odoo import fields, models
from odoo.exceptions import ConcurrencyError
from odoo.fields import Command
from odoo.tools import mute_logger


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS === #

    def _create_orders(self, orders):
        delivery_contacts = self._delivery_contacts(orders)
        # The warehouse every order would compute for itself, computed once.
        warehouse = self.env["sale.order"].new({"company_id": self.company_id.id})
        warehouse = warehouse.warehouse_id
        received = fields.Datetime.now()
        vals_list = [
            self._prepare_order_vals(
                order, delivery_contacts.get(order["ref"]), warehouse, received
            )
            for order in orders
        ]
        try:
            # The lost race is expected: not logged as a bad query.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                orders = self.env["sale.order"].create(vals_list)
                orders.flush_recordset(["import_reference_key"])
        except errors.UniqueViolation as error:
            if error.diag.constraint_name != "sale_order_import_reference_unique":
                raise
            # Someone imported the same orders meanwhile: Odoo runs the request
            # again, whose duplicate check then reports them row by row.
            raise ConcurrencyError(
                "Orders of the file were imported by someone else meanwhile."
            ) from error
        return orders

    def _prepare_order_vals(self, order, delivery, warehouse, received):
        values = order["values"]
        requested = values.get("requested_date")
        if requested:
            # Written in the user's time zone, stored in UTC.
            tz = pytz.timezone(self.env.user.tz or "UTC")
            requested = tz.localize(requested).astimezone(pytz.utc).replace(tzinfo=None)
        vals = {
            "partner_id": values["customer"].id,
            "client_order_ref": order["ref"],
            "order_channel": "import",
            "received_date": received,
            "origin": self.filename or False,
            "is_rush": bool(values.get("rush")),
            "commitment_date": requested or False,
            "customer_note": values.get("note") or False,
            "company_id": self.company_id.id,
            "warehouse_id": warehouse.id,
            "order_line": [
                Command.create(self._prepare_order_line_vals(line))
                for line in order["lines"]
            ],
        }
        if delivery:
            vals["partner_shipping_id"] = delivery.id
        return vals

    @staticmethod
    def _prepare_order_line_vals(line):
        values = {
            "product_id": line["product"].id,
            "product_uom_qty": line["quantity"],
        }
        if line["price_unit"] is not None:
            values["price_unit"] = line["price_unit"]
        if line["discount"] is not None:
            values["discount"] = line["discount"]
        return values
