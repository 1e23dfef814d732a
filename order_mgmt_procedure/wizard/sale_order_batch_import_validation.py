"""Batch import of orders, validation: the rows resolved into orders' values."""

import itertools
from collections import defaultdict

from odoo import models

from ..tools.text import join_items
from .batch_import_cells import ORDER_KEYS, Problem, Problems, vat_key
from .sale_order_batch_import import MAX_LISTED_PROBLEMS
from .sale_order_batch_import_reading import LOOKUP_KEYS

# Two rows of one order with the same of these are the same line twice.
LINE_KEYS = ("product", "quantity", "price_unit", "discount")


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS === #

    def _prepare_orders(self, rows):
        """Check every row and build the orders' values.

        ``rows``: the rows, header first (a list, or a function giving them
        as ``_row_source`` does). Returns ``(orders, problems)``: orders as
        dicts in file order, problems as ``Problems``. Customers, products,
        countries, states, delivery contacts and existing orders are each
        looked up with one query for the whole file. The import itself does
        not hold the orders: it checks them as they are read
        (``_check_orders``) and builds them again to create them.
        """
        rows = self._as_row_source(rows)
        scan = self._scan_rows(rows)
        lookups = self._lookup_records(scan.wanted)
        problems = Problems(MAX_LISTED_PROBLEMS)
        orders = list(self._iter_orders(rows, scan, lookups, problems, True))
        return orders, problems

    @staticmethod
    def _as_row_source(rows):
        if callable(rows):
            return rows
        return lambda: iter(rows)

    def _check_orders(self, rows, scan, lookups):
        """``(number of orders, problems)`` of the file, read once more: each
        order is checked once its last row is read, then forgotten."""
        problems = Problems(MAX_LISTED_PROBLEMS)
        count = 0
        for __ in self._iter_orders(rows, scan, lookups, problems, True):
            count += 1
        return count, problems

    def _iter_orders(self, rows, scan, lookups, problems, check_existing):
        """The file's orders, checked, read from ``rows`` one row at a time:
        each order is given once its last row (``scan.last_rows``) was read,
        in the order of their first rows. Only the orders begun and not given
        yet are held: in a file whose orders' rows follow each other, one
        order. ``check_existing``: report the external references already
        used by orders in the database (one query for the file)."""
        columns = scan.columns
        by_ref = None
        if check_existing:
            by_ref = self._existing_orders_by_ref(list(scan.last_rows))
        last_rows = scan.last_rows
        # {external reference: order} of the orders begun and not given yet,
        # in the order of their first rows; ``complete``: those whose last
        # row was read.
        orders = {}
        complete = set()
        iterator = rows()
        next(iterator, None)  # the header
        for number, cells in itertools.islice(iterator, scan.line_count):
            row = self._parse_row(number, cells, columns, problems)
            self._check_row(row, columns, lookups, orders, problems)
            ref = row.values.get("ref")
            if ref in orders and last_rows.get(ref) == number:
                complete.add(ref)
                while orders and next(iter(orders)) in complete:
                    order = orders.pop(next(iter(orders)))
                    complete.discard(order["ref"])
                    self._check_order(order, columns, lookups, problems, by_ref)
                    yield order
        # Only if the file changed between the readings; not expected.
        for order in list(orders.values()):
            self._check_order(order, columns, lookups, problems, by_ref)
            yield order

    def _check_order(self, order, columns, lookups, problems, by_ref):
        """The checks of a whole order, once its rows are read."""
        self._check_delivery([order], columns, lookups, problems)
        if by_ref is not None:
            self._check_existing_orders([order], columns, problems, by_ref)

    # LOOKUPS #

    def _lookup_records(self, wanted):
        """Every customer, product, country and state the file names, one
        query per kind. ``wanted``: ``{key: values}`` as ``_scan_rows``
        collects them (or the parsed rows)."""
        if not isinstance(wanted, dict):
            wanted = self._wanted_values(wanted)
        partners = self._lookup_partners(list(wanted.get("customer", ())))
        products = self._lookup_products(list(wanted.get("product", ())))
        countries = self._lookup_countries(list(wanted.get("delivery_country", ())))
        states = self.env["res.country.state"]
        if wanted.get("delivery_state"):
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
            # Each customer and product text is matched once, however many
            # rows give it: {value: (record, ambiguous)}.
            "customer_matches": {},
            "product_matches": {},
        }

    @staticmethod
    def _wanted_values(parsed):
        wanted = defaultdict(set)
        for row in parsed:
            for key in LOOKUP_KEYS:
                if row.values.get(key):
                    wanted[key].add(row.values[key])
        return wanted

    def _lookup_partners(self, names):
        partners = self.env["res.partner"]
        if not names:
            return partners
        vats = list({vat_key(name) for name in names} | set(names))
        return partners.search_fetch(
            [
                "|",
                "|",
                ("ref", "in", names),
                ("vat", "in", vats),
                ("name", "in", names),
            ],
            ["name", "ref", "vat", "commercial_partner_id", "country_id"],
        )

    def _lookup_products(self, codes):
        products = self.env["product.product"]
        if not codes:
            return products
        return products.search_fetch(
            ["|", ("default_code", "in", codes), ("barcode", "in", codes)],
            ["default_code", "barcode", "sale_ok", "display_name"],
        )

    def _lookup_countries(self, names):
        countries = self.env["res.country"]
        if not names:
            return countries
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
        return countries

    @staticmethod
    def _match_country(countries, name):
        return countries.filtered(lambda c: c.code == name.upper() or c.name == name)[
            :1
        ]

    def _match_state(self, states, name):
        """By code, full name, or the start of one name only ("上海" for
        "上海市", "广东" for "广东省")."""
        state, __ = self._first_match(
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
        vat = vat_key(value)
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

    # ROWS #

    def _check_row(self, row, columns, lookups, orders, problems):
        """Resolve one row and add it to its order in ``orders``."""

        def problem(key, message):
            problems.append(Problem(row.number, columns[key][0], message))

        self._check_required_cells(row, problem)
        order = self._order_of_row(row, orders, problem)
        customer = self._resolve_customer(row, lookups, problem)
        product = self._resolve_product(row, lookups, problem)
        if order is None:
            return
        # An unknown or ambiguous customer was reported: no value to compare.
        resolved = dict(row.values, customer=customer or None)
        self._merge_order_values(order, row, resolved, columns, problem)
        self._add_order_line(order, row, product, problem)

    def _check_required_cells(self, row, problem):
        for key in ("ref", "product", "quantity"):
            if row.values.get(key) is None and key not in row.errors:
                problem(key, self.env._("the cell is empty; it is required."))

    def _order_of_row(self, row, orders, problem):
        """The order of the row's external reference, started by its first
        row, which must name the customer; None without a reference."""
        ref = row.values.get("ref")
        if not ref:
            return None
        if ref in orders:
            return orders[ref]
        orders[ref] = {
            "ref": ref,
            "row": row.number,
            "values": {},
            "value_rows": {},
            "texts": {},
            "lines": [],
        }
        if not row.values.get("customer") and "customer" not in row.errors:
            problem(
                "customer",
                self.env._(
                    "the cell is empty; the first row of order %(ref)s must name "
                    "the customer.",
                    ref=ref,
                ),
            )
        return orders[ref]

    def _resolve_customer(self, row, lookups, problem):
        """The row's customer; None when it names none, an empty recordset
        when it names an unknown or ambiguous one (reported)."""
        value = row.values.get("customer")
        if not value:
            return None
        matches = lookups["customer_matches"]
        if value not in matches:
            matches[value] = self._find_customer(value, lookups["partners"])
        customer, ambiguous = matches[value]
        if ambiguous:
            problem(
                "customer",
                self.env._(
                    "%(value)s matches several customers: %(names)s. Use the "
                    "customer's internal reference instead.",
                    value=f'"{value}"',
                    names=join_items(self.env, ambiguous[:5].mapped("display_name")),
                ),
            )
        elif not customer:
            problem(
                "customer",
                self.env._(
                    "no customer has the internal reference, tax ID or name %(value)s.",
                    value=f'"{value}"',
                ),
            )
        return customer

    def _resolve_product(self, row, lookups, problem):
        """The row's product if it can be sold; else None or an empty
        recordset (reported)."""
        value = row.values.get("product")
        if not value:
            return None
        matches = lookups["product_matches"]
        if value not in matches:
            matches[value] = self._find_product(value, lookups["products"])
        product, ambiguous = matches[value]
        if ambiguous:
            problem(
                "product",
                self.env._(
                    "%(value)s matches several products: %(names)s.",
                    value=f'"{value}"',
                    names=join_items(self.env, ambiguous[:5].mapped("display_name")),
                ),
            )
        elif not product:
            problem(
                "product",
                self.env._(
                    "no product has the internal reference or barcode %(value)s.",
                    value=f'"{value}"',
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
            return None
        return product

    def _merge_order_values(self, order, row, resolved, columns, problem):
        """The order's cells (customer, delivery, rush, date, note) come from
        the first row giving each; a later row giving another is reported."""
        for key in ORDER_KEYS:
            if key not in columns or row.values.get(key) is None:
                continue
            new = resolved[key]
            if key not in order["values"]:
                order["values"][key] = new
                order["value_rows"][key] = row.number
                order["texts"][key] = row.texts[key]
                continue
            old = order["values"][key]
            if old == new or new is None or old is None:
                continue
            problem(key, self._disagreement_message(order, key, old, row.texts[key]))

    def _disagreement_message(self, order, key, old, text):
        first_row = order["value_rows"][key]
        if key == "customer":
            return self.env._(
                "order %(ref)s is for %(customer)s at row %(first_row)s; "
                "one external reference is one order of one customer.",
                ref=order["ref"],
                customer=old.display_name,
                first_row=first_row,
            )
        return self.env._(
            "%(value)s differs from %(other)s at row %(first_row)s of the "
            "same order %(ref)s; the rows of one order must agree.",
            value=f'"{text}"',
            other=f'"{order["texts"][key]}"',
            first_row=first_row,
            ref=order["ref"],
        )

    def _add_order_line(self, order, row, product, problem):
        """The row's line, unless it repeats an earlier line of the order."""
        if not (product and row.values.get("quantity")):
            return
        line = {
            "row": row.number,
            "product": product,
            "quantity": row.values["quantity"],
            "price_unit": row.values.get("price_unit"),
            "discount": row.values.get("discount"),
        }
        for other in order["lines"]:
            if all(other[key] == line[key] for key in LINE_KEYS):
                problem(
                    "product",
                    self.env._(
                        "this line repeats row %(first_row)s of order %(ref)s; "
                        "remove one of them or add the quantities together.",
                        first_row=other["row"],
                        ref=order["ref"],
                    ),
                )
                return
        order["lines"].append(line)

    # ORDERS #

    def _check_existing_orders(self, orders, columns, problems, by_ref=None):
        """External references already used by a non-cancelled order of the
        same customer: the file, or part of it, was imported before.
        ``by_ref``: ``_existing_orders_by_ref`` of the file's references,
        when the caller looked them up already."""
        if by_ref is None:
            by_ref = self._existing_orders_by_ref([order["ref"] for order in orders])
        for order in orders:
            customer = order["values"].get("customer")
            if not customer:
                continue
            sale = next(
                (
                    sale
                    for sale in by_ref.get(order["ref"], [])
                    if sale.partner_id.commercial_partner_id
                    == customer.commercial_partner_id
                ),
                None,
            )
            if sale:
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

    def _existing_orders_by_ref(self, refs):
        """``{external reference: [non-cancelled orders]}`` of the company."""
        if not refs:
            return {}
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
        return by_ref
