from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import OrderProcedureCase


@tagged("post_install", "-at_install")
class TestProcedureSettings(OrderProcedureCase):
    def test_defaults_follow_the_regulation(self):
        company = self.env["res.company"].create({"name": "Suzhou Branch"})
        self.assertTrue(company.order_review_required)
        self.assertTrue(company.order_reviewer_not_creator)
        self.assertEqual(company.after_sales_days, 30)
        self.assertEqual(company.return_sla_days, 7)
        self.assertEqual(company.exchange_sla_days, 3)
        self.assertTrue(company.packing_check_required)
        self.assertTrue(company.supplier_qualification_required)
        self.assertEqual(company.review_target_hours, 4.0)

    def test_settings_are_saved_per_company(self):
        other = self.env["res.company"].create({"name": "Suzhou Branch"})
        settings = self.env["res.config.settings"].create(
            {
                "order_review_required": False,
                "order_reviewer_not_creator": False,
                "after_sales_days": 45,
                "return_sla_days": 5,
                "exchange_sla_days": 2,
                "packing_check_required": False,
                "supplier_qualification_required": False,
                "review_target_hours": 8.0,
            }
        )
        settings.execute()
        self.assertFalse(self.company.order_review_required)
        self.assertFalse(self.company.order_reviewer_not_creator)
        self.assertEqual(self.company.after_sales_days, 45)
        self.assertEqual(self.company.return_sla_days, 5)
        self.assertEqual(self.company.exchange_sla_days, 2)
        self.assertFalse(self.company.packing_check_required)
        self.assertFalse(self.company.supplier_qualification_required)
        self.assertEqual(self.company.review_target_hours, 8.0)
        # The other company keeps the regulation's defaults.
        self.assertTrue(other.order_review_required)
        self.assertEqual(other.after_sales_days, 30)
        self.assertEqual(other.return_sla_days, 7)

        reopened = self.env["res.config.settings"].create({})
        self.assertEqual(reopened.after_sales_days, 45)
        self.assertFalse(reopened.packing_check_required)
        # A company made afterwards starts with the procedure switched off too,
        # as the administrator chose; the others keep theirs.
        later = self.env["res.company"].create({"name": "Ningbo Branch"})
        self.assertFalse(later.order_review_required)
        self.assertFalse(later.packing_check_required)
        self.assertFalse(later.supplier_qualification_required)
        self.assertTrue(other.order_review_required)

    def test_bad_day_counts_are_refused(self):
        Company = self.env["res.company"]
        bad_values = [
            ({"after_sales_days": -1}, "cannot be negative"),
            ({"return_sla_days": 0}, "at least one working day"),
            ({"exchange_sla_days": -2}, "at least one working day"),
            ({"review_target_hours": 0}, "more than zero working hours"),
        ]
        for values, message in bad_values:
            with self.subTest(values=values):
                with self.assertRefused(ValidationError, message):
                    Company.create({"name": "Wuxi Branch", **values})
                self.assertFalse(Company.search([("name", "=", "Wuxi Branch")]))
