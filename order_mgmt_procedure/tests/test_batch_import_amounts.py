from odoo.fields import Command
from odoo.tests import tagged

from .test_batch_import import HEADER, BatchImportCase, csv_file

# What Odoo computes for a line and an order, compared between an imported
# order and the same order made by the ORM.
LINE_FIELDS = (
    "product_id",
    "name",
    "product_uom_qty",
    "product_uom_id",
    "price_unit",
    "discount",
    "tax_ids",
    "price_subtotal",
    "price_tax",
    "price_total",
    "price_reduce_taxexcl",
    "price_reduce_taxinc",
    "customer_lead",
    "analytic_distribution",
)
ORDER_FIELDS = (
    "partner_id",
    "partner_invoice_id",
    "partner_shipping_id",
    "pricelist_id",
    "currency_id",
    "fiscal_position_id",
    "payment_term_id",
    "preferred_payment_method_line_id",
    "note",
    "company_id",
    "warehouse_id",
    "team_id",
    "user_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
)


@tagged("post_install", "-at_install")
class TestBatchImportAmounts(BatchImportCase):
    """What the import gives Odoo instead of letting each order work it out
    (defaults, warehouse, the lines' analytic distribution) changes nothing:
    an imported order has what Odoo computes for the same order made by the
    ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tax = cls.env["account.tax"]
        cls.vat = Tax.create(
            {"name": "OMP VAT 13%", "amount": 13, "type_tax_use": "sale"}
        )
        cls.vat_included = Tax.create(
            {
                "name": "OMP VAT 9% included",
                "amount": 9,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        cls.export = cls.env["account.fiscal.position"].create({"name": "OMP Export"})
        cls.export_tax = Tax.create(
            {
                "name": "OMP Export 0%",
                "amount": 0,
                "type_tax_use": "sale",
                "fiscal_position_ids": [Command.link(cls.export.id)],
                "original_tax_ids": [Command.link(cls.vat.id)],
            }
        )
        cls.product_in_stock.taxes_id = cls.vat
        cls.product_no_stock.taxes_id = cls.vat_included
        cls.customer.property_account_position_id = cls.export
        # The company's terms in each order's note.
        cls.env["ir.config_parameter"].sudo().set_param(
            "account.use_invoice_terms", True
        )
        cls.env.company.invoice_terms = "<p>Payment within 30 days.</p>"

    def _file_rows(self):
        """Orders of both customers repeating the same lines (the same
        product, quantity, price and discount), and lines of their own: no
        price (the pricelist's), a discount, prices that round."""
        rows = [HEADER]
        for index in range(6):
            ref = f"AM-{index}"
            customer = "T-DIST-01" if index % 2 else "CUST-XY"
            rows += [
                [ref, customer, "T-CAB", 3, 33.33, None],
                [ref, None, "T-LAMP", 7, 19.99, 12.5],
                [ref, None, "T-CAB" if index < 3 else "T-LAMP", 1 + index, None, None],
            ]
        return rows

    def test_imported_orders_have_what_odoo_computes(self):
        orders = self._import(csv_file(self._file_rows()), "orders.csv")
        self.assertEqual(len(orders), 6)
        self.assertEqual(
            orders.filtered(lambda o: o.partner_id == self.customer)
            .order_line.filtered(lambda ln: ln.product_id == self.product_in_stock)
            .tax_ids,
            self.export_tax,
            "the customer's fiscal position maps the taxes",
        )
        by_hand = self.env(user=self.receiver)["sale.order"].create(
            [
                {
                    "partner_id": order.partner_id.id,
                    "client_order_ref": f"BY-HAND-{order.client_order_ref}",
                    "order_line": [
                        Command.create(
                            {
                                "product_id": line.product_id.id,
                                "product_uom_qty": line.product_uom_qty,
                                **(
                                    {"price_unit": line.price_unit}
                                    if line.price_unit != 100
                                    else {}
                                ),
                                **(
                                    {"discount": line.discount} if line.discount else {}
                                ),
                            }
                        )
                        for line in order.order_line
                    ],
                }
                for order in orders
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        for imported, made in zip(orders, by_hand, strict=True):
            for fname in ORDER_FIELDS:
                self.assertEqual(imported[fname], made[fname], fname)
            self.assertEqual(imported.tax_totals, made.tax_totals)
            for line, other in zip(imported.order_line, made.order_line, strict=True):
                for fname in LINE_FIELDS:
                    self.assertEqual(line[fname], other[fname], fname)
        self.assertTrue(all(orders.mapped("amount_tax")), "taxes were computed")
        self.assertTrue(all(orders.mapped("note")), "the company's terms")
