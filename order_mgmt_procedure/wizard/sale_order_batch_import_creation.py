"""Batch import of orders, creation: the checked orders created at once.

What every order would work out for itself at creation (the defaults, the
warehouse, its number, the lines' analytic distribution) is worked out once
for the file (the numbers once for a chunk), with the same methods, and given
to the orders. The orders are created in chunks of ``CREATE_CHUNK`` orders,
each flushed and dropped from the cache before the next, and the orders'
values are built chunk by chunk from the file (their delivery contacts found
or created per chunk): the memory the import needs does not grow with the
file. It is still all or nothing: every chunk is in the same transaction
(and savepoint).
"""

import pytz
from psycopg2 import errors

from odoo import fields, models
from odoo.exceptions import ConcurrencyError
from odoo.fields import Command
from odoo.tools import mute_logger, split_every

# Orders created by one create call; the ORM cache holds at most one chunk.
CREATE_CHUNK = 200


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS === #

    def _create_orders(self, orders):
        """Create the checked ``orders`` (an iterable of the orders' values,
        read chunk by chunk: it may build them as it is read); returns the
        orders created."""
        # The warehouse every order would compute for itself, computed once.
        warehouse = self.env["sale.order"].new({"company_id": self.company_id.id})
        warehouse = warehouse.warehouse_id
        received = fields.Datetime.now()
        SaleOrder = self.env["sale.order"]
        order_ids = []
        distributions = {}
        try:
            # The lost race is expected: not logged as a bad query.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                # The values of one chunk at a time: neither they nor the
                # records of the chunks before stay in memory.
                for chunk in split_every(CREATE_CHUNK, orders, list):
                    if order_ids:
                        # The chunk before was flushed: what the cache holds
                        # of it is read again from the database when needed.
                        self.env.invalidate_all()
                    delivery_contacts = self._delivery_contacts(chunk)
                    vals_list = [
                        self._prepare_order_vals(
                            order,
                            delivery_contacts.get(order["ref"]),
                            warehouse,
                            received,
                        )
                        for order in chunk
                    ]
                    self._add_batch_defaults(vals_list)
                    self._add_order_names(vals_list)
                    self._add_analytic_distributions(vals_list, chunk, distributions)
                    created = SaleOrder.create(vals_list)
                    order_ids.extend(created.ids)
                    del vals_list, created
                    self.env.flush_all()
        except errors.UniqueViolation as error:
            if error.diag.constraint_name != "sale_order_import_reference_unique":
                raise
            # Someone imported the same orders meanwhile: Odoo runs the request
            # again, whose duplicate check then reports them row by row.
            raise ConcurrencyError(
                "Orders of the file were imported by someone else meanwhile."
            ) from error
        return SaleOrder.browse(order_ids)

    def _add_batch_defaults(self, vals_list):
        """The orders' default values, worked out once for all of them (the
        same ``default_get`` the creation of each order would call: nothing
        in it depends on the order)."""
        if not vals_list:
            return
        given = set().union(*vals_list)
        SaleOrder = self.env["sale.order"]
        missing = [name for name in SaleOrder._fields if name not in given]
        defaults = SaleOrder._add_missing_default_values(dict.fromkeys(given))
        # Not the name nor the order date: sale.order's create numbers the
        # order from the sequence, dated as without a date given.
        defaults = {
            name: value
            for name, value in defaults.items()
            if name in missing and name not in ("name", "date_order")
        }
        for vals in vals_list:
            for name, value in defaults.items():
                vals.setdefault(name, value)

    def _add_order_names(self, vals_list):
        """The orders' numbers, drawn at once from the sequence sale.order's
        create would draw each of them from (``next_by_code("sale.order")``,
        which searches the sequence and draws one number: two queries an
        order): one query for the chunk. Only from a sequence of the standard
        implementation without date ranges, whose numbers are a PostgreSQL
        sequence's; any other is left to sale.order's create, order by order."""
        unnamed = [vals for vals in vals_list if "name" not in vals]
        if not unnamed:
            return
        company = self.company_id
        sequence = (
            self.env["ir.sequence"]
            .with_company(company)
            .search(
                [
                    ("code", "=", "sale.order"),
                    ("company_id", "in", [company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if (
            not sequence
            or sequence.use_date_range
            or sequence.implementation != "standard"
        ):
            return
        self.env.cr.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1",
            [f"ir_sequence_{sequence.id:03d}", len(unnamed)],
        )
        for vals, (number,) in zip(unnamed, self.env.cr.fetchall(), strict=True):
            vals["name"] = sequence.get_next_char(number)

    def _add_analytic_distributions(self, vals_list, orders, distributions=None):
        """The lines' analytic distribution, found once per product and
        customer (as ``sale.order.line._compute_analytic_distribution`` finds
        it for each line, and with the same method); ``distributions`` keeps
        them from one chunk of orders to the next."""
        # sudo: as the line's compute does (stored computes run as superuser);
        # receivers may not read the distribution models.
        Model = self.env["account.analytic.distribution.model"].sudo()
        company = self.company_id
        if not Model.search_count([("company_id", "in", [company.id, False])], limit=1):
            # No model can apply: every line's distribution is empty.
            distributions = None
        else:
            distributions = {}
        for vals, order in zip(vals_list, orders, strict=True):
            customer = order["values"]["customer"]
            for command, line in zip(vals["order_line"], order["lines"], strict=True):
                if distributions is None:
                    command[2]["analytic_distribution"] = False
                    continue
                product = line["product"]
                key = (product.id, customer.id)
                if key not in distributions:
                    distributions[key] = Model._get_distribution(
                        {
                            "product_id": product.id,
                            "product_categ_id": product.categ_id.id,
                            "partner_id": customer.id,
                            "partner_category_id": customer.category_id.ids,
                            "company_id": company.id,
                        }
                    )
                command[2]["analytic_distribution"] = distributions[key] or False

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
