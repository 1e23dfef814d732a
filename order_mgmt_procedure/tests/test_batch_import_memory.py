"""The batch import holds one order at a time, not the file's rows: what
makes its memory flat with the file's size, locked structurally (the peak
itself is measured by scripts/benchmark, not here)."""

from unittest.mock import patch

from odoo.tests import tagged

from ..wizard import sale_order_batch_import_creation as creation
from .test_batch_import import HEADER, BatchImportCase, csv_file


def counting(rows, read):
    """A row source giving ``rows`` and counting in ``read`` the rows read."""

    def source():
        for row in rows:
            read.append(row[0])
            yield row

    return source


@tagged("post_install", "-at_install")
class TestBatchImportMemory(BatchImportCase):
    def _table(self, refs):
        """The numbered rows of a file of one line per reference, header
        first, as the wizard reads them."""
        lines = [HEADER[:4]]
        products = ["T-CAB", "T-LAMP", "6901234567892"]
        for index, ref in enumerate(refs):
            lines.append([ref, "T-DIST-01", products[index % 3], index + 1])
        return list(enumerate(lines, start=1))

    def _given(self, wizard, table):
        """``[(reference, rows read when the order was given)]``."""
        read = []
        rows = counting(table, read)
        scan = wizard._scan_rows(rows)
        lookups = wizard._lookup_records(scan.wanted)
        problems = []
        read.clear()
        given = [
            (order["ref"], len(read))
            for order in wizard._iter_orders(rows, scan, lookups, problems, True)
        ]
        self.assertFalse(problems)
        return given

    def test_an_order_is_given_once_its_last_row_is_read(self):
        """Rows of an order one after the other: each order is checked and
        given as soon as its last row is read, before the next row is: only
        one order is held, whatever the file's length."""
        refs = [f"M-{i // 3}" for i in range(30)]
        wizard = self._wizard(csv_file([HEADER[:4]]), "orders.csv")
        given = self._given(wizard, self._table(refs))
        # Header, then three rows per order.
        self.assertEqual(given, [(f"M-{i}", 1 + 3 * (i + 1)) for i in range(10)])

    def test_orders_in_scattered_rows_wait_for_their_last_row(self):
        """An order whose rows are apart is held until its last row; the
        orders after its first row are given after it, in the file's order."""
        refs = ["A", "A", "B", "C", "C", "B", "D"]
        wizard = self._wizard(csv_file([HEADER[:4]]), "orders.csv")
        given = self._given(wizard, self._table(refs))
        self.assertEqual(given, [("A", 3), ("B", 7), ("C", 7), ("D", 8)])
        # The orders of such a file are imported as ever: one per reference,
        # numbered in the order of their first rows.
        content = csv_file([row for __, row in self._table(refs)])
        importer = self._wizard(content, "orders.csv")
        importer.with_context(batch_import_synchronous=True).action_import()
        orders = importer.order_ids.with_env(self.env)
        self.assertEqual(orders.mapped("client_order_ref"), ["A", "B", "C", "D"])
        self.assertEqual(orders.sorted("id").mapped("client_order_ref"), list("ABCD"))
        self.assertEqual(
            [len(order.order_line) for order in orders], [2, 2, 2, 1], orders
        )

    def test_orders_are_created_while_the_file_is_read(self):
        """The orders are created chunk by chunk as they are built from the
        file: when an order of the next chunk is built, the chunk before is in
        the database already, and its values are not held any more."""
        refs = [f"N-{i}" for i in range(7)]
        wizard = self._wizard(csv_file([HEADER[:4]]), "orders.csv")
        table = self._table(refs)
        scan = wizard._scan_rows(lambda: iter(table))
        lookups = wizard._lookup_records(scan.wanted)
        created_before = []
        SaleOrder = self.env["sale.order"]

        def orders():
            for order in wizard._iter_orders(
                lambda: iter(table), scan, lookups, [], False
            ):
                created_before.append(
                    SaleOrder.search_count([("client_order_ref", "=like", "N-%")])
                )
                yield order

        with patch.object(creation, "CREATE_CHUNK", 3):
            created = wizard._create_orders(orders())
        self.assertEqual(len(created), 7)
        self.assertEqual(created_before, [0, 0, 0, 3, 3, 3, 6])

    def test_report_keeps_the_first_problems_by_row(self):
        """A file with a problem on each of its rows: the report lists the
        first 100 by row, whatever order they were found in, and counts the
        rest; no more than 100 are kept meanwhile."""
        self._import(csv_file(self._rows()), "orders.csv")
        # PO-1001 exists now: found once its last row, the file's last, is
        # read, after the problems of every other row.
        rows = [
            HEADER[:4],
            ["PO-1001", "T-DIST-01", "T-CAB", 1],
            *([f"X-{i}", "T-DIST-01", "NOPE", 1] for i in range(150)),
            ["PO-1001", "T-DIST-01", "T-LAMP", 1],
        ]
        wizard = self._wizard(csv_file(rows), "orders.csv")
        __, problems = wizard._prepare_orders(wizard._read_rows())
        self.assertEqual(len(problems), 151)
        self.assertEqual(len(list(problems)), 100)
        self.assertEqual(problems.left_out, 51)
        text = self.assertImportRefused(csv_file(rows), "orders.csv")
        lines = text.splitlines()
        self.assertEqual(len(lines), 102)
        self.assertIn("Row 2, column A (External Order Reference): external", lines[1])
        self.assertIn("Row 3, column C (Product): no product", lines[2])
        self.assertIn("Row 101, column C (Product)", lines[100])
        self.assertEqual(lines[101], "... and 51 more problems.")
