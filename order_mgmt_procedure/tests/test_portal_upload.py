import io
import unittest

import openpyxl

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, common, new_test_user, tagged

from .common import OrderProcedureCase
from .test_batch_import import csv_file, xlsx_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["External Order Reference", "Customer", "Product", "Quantity", "Note"]


class PortalUploadCase(OrderProcedureCase, HttpCase):
    """A distributor (by its grade) with a portal user, and a portal user of
    a plain customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.grade = cls.env["res.partner.category"].create({"name": "Distributor"})
        cls.company.portal_upload_category_ids = cls.grade
        cls.distributor = cls.env["res.partner"].create(
            {
                "name": "Kunshan Yuanda Distribution",
                "ref": "T-DIST-01",
                "is_company": True,
                "street": "5 Renmin Road",
                "city": "Suzhou",
                "zip": "215000",
                "country_id": cls.env.ref("base.cn").id,
                "phone": "+86 512 6523 0000",
                "category_id": cls.grade.ids,
                # The receiver takes the distributor's orders.
                "user_id": cls.receiver.id,
            }
        )
        cls.warehouse_contact = cls.env["res.partner"].create(
            {
                "name": "Yuanda Wuxi Warehouse",
                "parent_id": cls.distributor.id,
                "type": "delivery",
                "street": "12 Xinhua Road",
                "city": "Wuxi",
                "zip": "214000",
                "country_id": cls.env.ref("base.cn").id,
            }
        )
        cls.portal_user = new_test_user(
            cls.env, "omp_distributor", "base.group_portal", name="Zhou Min"
        )
        cls.portal_user.partner_id.parent_id = cls.distributor
        cls.customer.ref = "CUST-XY"
        cls.plain_portal_user = new_test_user(
            cls.env, "omp_portal_plain", "base.group_portal"
        )
        cls.plain_portal_user.partner_id.parent_id = cls.customer

    def _rows(self):
        """Two orders of the distributor: one without a customer, one naming
        one of its contacts."""
        return [
            HEADER,
            ["YD-001", None, "T-CAB", 3, "Before Friday"],
            ["YD-001", None, "T-LAMP", 1, None],
            ["YD-002", "Yuanda Wuxi Warehouse", "T-CAB", 2, None],
        ]

    def _upload(self, content, filename="orders.xlsx", mimetype=XLSX, csrf=True):
        data = {"csrf_token": http.Request.csrf_token(self)} if csrf else {}
        return self.url_open(
            "/my/orders/import",
            data=data,
            files={"order_file": (filename, content, mimetype)},
        )

    def _distributor_orders(self):
        return self.env["sale.order"].search(
            [("partner_id", "child_of", self.distributor.id)],
            order="client_order_ref",
        )

    def _counts(self):
        return (
            self.env["sale.order"].search_count([]),
            self.env["sale.order.line"].search_count([]),
            self.env["res.partner"].with_context(active_test=False).search_count([]),
        )


@tagged("post_install", "-at_install")
class TestPortalUpload(PortalUploadCase):
    def test_template_and_report_in_the_users_language(self):
        self.authenticate("omp_distributor", "omp_distributor")
        response = self.url_open("/my/orders/import/template")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], XLSX)
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.assertIn(".xlsx", response.headers["Content-Disposition"])
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        self.assertEqual(sheet["A1"].value, "External Order Reference *")
        # Their own company when empty: the customer is not marked required.
        self.assertEqual(sheet["B1"].value, "Customer")
        notes = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[1]
        customer_note = next(
            row for row in notes.iter_rows(values_only=True) if row[0] == "Customer"
        )
        self.assertFalse(customer_note[1])
        self.assertEqual(
            sheet["B2"].value,
            "T-DIST-01",
            "the example is an order of the distributor, never of another customer",
        )

        self.env["res.lang"]._activate_lang("zh_CN")
        self.portal_user.lang = "zh_CN"
        self.authenticate("omp_distributor", "omp_distributor")
        response = self.url_open("/my/orders/import/template")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        self.assertEqual(sheet["A1"].value, "外部订单号 *")

        # The page and the row-by-row report in their language too.
        self.env["ir.module.module"]._load_module_terms(
            ["order_mgmt_procedure"], ["zh_CN"], overwrite=True
        )
        page = self.url_open("/my/orders/import")
        self.assertIn("下载模板", page.text)
        rows = [HEADER, ["YD-003", "CUST-XY", "T-CAB", 1, None]]
        page = self._upload(xlsx_file(rows))
        self.assertIn("不是Kunshan Yuanda Distribution", page.text)
        self.assertFalse(self._distributor_orders())

    def test_good_file_makes_the_distributors_orders_in_received(self):
        self.authenticate("omp_distributor", "omp_distributor")
        page = self.url_open("/my/orders")
        self.assertIn('href="/my/orders/import"', page.text)

        page = self._upload(xlsx_file(self._rows()))
        self.assertEqual(page.status_code, 200)
        orders = self._distributor_orders()
        self.assertEqual(orders.mapped("client_order_ref"), ["YD-001", "YD-002"])
        first, second = orders
        self.assertEqual(first.partner_id, self.distributor)
        self.assertEqual(second.partner_id, self.warehouse_contact)
        self.assertEqual(second.partner_shipping_id, self.warehouse_contact)
        self.assertEqual(second.partner_invoice_id, self.distributor)
        self.assertEqual(
            [(ln.product_id, ln.product_uom_qty) for ln in first.order_line],
            [(self.product_in_stock, 3), (self.product_no_stock, 1)],
        )
        self.assertEqual(first.customer_note, "Before Friday")
        self.assertEqual(set(orders.mapped("order_channel")), {"import"})
        self.assertEqual(set(orders.mapped("procedure_stage")), {"received"})
        self.assertEqual(orders.batch_import_uploaded_by_id, self.portal_user)
        self.assertEqual(orders.create_uid, self.portal_user)
        self.assertIn("Your 2 orders were received", page.text)
        for order in orders:
            self.assertIn(order.name, page.text)
            self.assertIn(
                f"Uploaded on the portal by {self.portal_user.name}",
                order.message_ids[:1].body,
            )

        # In their orders, in Received, though quotations.
        page = self.url_open("/my/orders")
        for order in orders:
            self.assertIn(order.name, page.text)
        self.assertIn("Received", page.text)
        page = self.url_open(f"/my/orders/{first.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(first.name, page.text)

    def test_csv_file(self):
        self.authenticate("omp_distributor", "omp_distributor")
        self._upload(csv_file(self._rows()), "orders.csv", "text/csv")
        self.assertEqual(len(self._distributor_orders()), 2)

    def test_other_customer_is_refused_by_row(self):
        rows = [
            *self._rows(),
            ["YD-003", "CUST-XY", "T-CAB", 1, None],
            ["YD-004", "Nobody Ltd", "T-CAB", 1, None],
        ]
        before = self._counts()
        self.authenticate("omp_distributor", "omp_distributor")
        page = self._upload(xlsx_file(rows))
        self.assertEqual(page.status_code, 200)
        self.assertEqual(self._counts(), before, "nothing may be created")
        self.assertIn("Nothing was imported", page.text)
        self.assertIn("Row 5, column B (Customer): &#34;CUST-XY&#34; is not", page.text)
        self.assertIn(
            "Row 6, column B (Customer): &#34;Nobody Ltd&#34; is not", page.text
        )
        self.assertIn("your own company only", page.text)
        self.assertNotIn(
            self.customer.name,
            page.text,
            "the other customer is told apart from no customer at all",
        )

    def test_same_file_twice_is_refused(self):
        self.authenticate("omp_distributor", "omp_distributor")
        content = xlsx_file(self._rows())
        self._upload(content)
        orders = self._distributor_orders()
        self.assertEqual(len(orders), 2)
        page = self._upload(content)
        self.assertIn("every order of this file already exists", page.text)
        self.assertIn(orders[0].name, page.text)
        self.assertEqual(self._distributor_orders(), orders)

    def test_company_limits_apply(self):
        self.company.batch_import_max_rows = 2
        self.authenticate("omp_distributor", "omp_distributor")
        page = self._upload(xlsx_file(self._rows()))
        self.assertIn("has more than 2 order lines", page.text)
        self.assertFalse(self._distributor_orders())

        self.company.batch_import_max_size_mb = 1
        big = csv_file(self._rows()) + b"\n" * (1024 * 1024)
        page = self._upload(big, "orders.csv", "text/csv")
        self.assertIn("orders.csv is 1.0 MB; files of at most 1 MB", page.text)
        self.assertFalse(self._distributor_orders())

    def test_one_activity_per_uploaded_file(self):
        self.authenticate("omp_distributor", "omp_distributor")
        self._upload(xlsx_file(self._rows()))
        orders = self._distributor_orders()
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "sale.order"), ("res_id", "in", orders.ids)]
        )
        self.assertEqual(len(activities), 1, "one activity for the file")
        self.assertEqual(
            activities.activity_type_id,
            self.env.ref("order_mgmt_procedure.mail_activity_type_order_portal_upload"),
        )
        self.assertEqual(activities.user_id, self.receiver)
        self.assertEqual(orders.user_id, self.receiver)
        for order in orders:
            self.assertIn(order.name, activities.note)
        self.assertIn("uploaded 2 orders on the portal", activities.note)

    def test_activity_of_a_file_of_one_order(self):
        self.authenticate("omp_distributor", "omp_distributor")
        self._upload(xlsx_file(self._rows()[:3]))
        order = self._distributor_orders()
        self.assertEqual(len(order), 1)
        self.assertIn(
            f"uploaded the order {order.name} on the portal", order.activity_ids.note
        )

    def test_receiver_without_salesperson_takes_the_orders(self):
        # The contact had the company's salesperson from its creation.
        (self.distributor | self.warehouse_contact).user_id = False
        self.authenticate("omp_distributor", "omp_distributor")
        self._upload(xlsx_file(self._rows()))
        orders = self._distributor_orders()
        activity = orders.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertTrue(
            activity.user_id.has_group("order_mgmt_procedure.group_order_receiver")
        )
        self.assertEqual(orders.user_id, activity.user_id)

    def test_not_a_distributor_is_refused(self):
        before = self._counts()
        self.authenticate("omp_portal_plain", "omp_portal_plain")
        page = self.url_open("/my/orders")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("/my/orders/import", page.text)
        self.assertEqual(self.url_open("/my/orders/import").status_code, 404)
        self.assertEqual(self.url_open("/my/orders/import/template").status_code, 404)
        rows = [HEADER, ["XY-001", "CUST-XY", "T-CAB", 1, None]]
        self.assertEqual(self._upload(xlsx_file(rows)).status_code, 404)
        self.assertEqual(self._counts(), before)

    def test_upload_needs_the_csrf_token(self):
        self.authenticate("omp_distributor", "omp_distributor")
        response = self._upload(xlsx_file(self._rows()), csrf=False)
        self.assertNotEqual(response.status_code, 200)
        self.assertFalse(self._distributor_orders())


@tagged("post_install", "-at_install")
class TestPortalUploadAccess(PortalUploadCase):
    def test_direct_calls_as_portal_users(self):
        content = xlsx_file(self._rows())
        Import = self.env["sale.order.batch.import"]
        with self.assertRaises(AccessError):
            Import.with_user(self.plain_portal_user)._import_portal_file(
                "orders.xlsx", content
            )
        with self.assertRaises(AccessError):
            Import.with_user(self.plain_portal_user)._get_portal_template()
        # The distributor's user has no right on the back office's import...
        with self.assertRaises(AccessError):
            Import.with_user(self.portal_user).create({"filename": "orders.xlsx"})
        self.assertFalse(
            self.env["sale.order"].with_user(self.portal_user).has_access("write")
        )
        # ... and its portal import keeps them to their own company.
        rows = [HEADER, ["YD-009", "CUST-XY", "T-CAB", 1, None]]
        with self.assertRaises(UserError) as caught:
            Import.with_user(self.portal_user)._import_portal_file(
                "orders.xlsx", xlsx_file(rows)
            )
        self.assertIn(
            '"CUST-XY" is not Kunshan Yuanda Distribution', str(caught.exception)
        )
        self.assertFalse(self._distributor_orders())
        orders = Import.with_user(self.portal_user)._import_portal_file(
            "orders.xlsx", content
        )
        self.assertEqual(orders.env.user, self.portal_user)
        self.assertEqual(orders, self._distributor_orders())

    def test_portal_mode_is_not_the_back_office_import(self):
        """A receiver asking for portal mode is no portal user: refused."""
        wizard = (
            self.env(user=self.receiver)["sale.order.batch.import"]
            .with_context(batch_import_portal=True)
            .create({"file": False, "filename": "orders.xlsx"})
        )
        with self.assertRaises(AccessError):
            wizard.action_import()

    def test_uploader_is_the_portal_uploads_to_write(self):
        # A receiver (or an integration) cannot make an order look uploaded
        # by a distributor, neither at creation nor afterwards.
        with self.assertRefused(AccessError, "Import Orders on the portal"):
            self.env["sale.order"].with_user(self.receiver).create(
                {
                    "partner_id": self.distributor.id,
                    "batch_import_uploaded_by_id": self.portal_user.id,
                }
            )
        order = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        with self.assertRefused(AccessError, "Import Orders on the portal"):
            order.with_user(
                self.receiver
            ).batch_import_uploaded_by_id = self.portal_user
        with self.assertRefused(AccessError, "Import Orders on the portal"):
            order.with_user(self.manager).write(
                {"batch_import_uploaded_by_id": self.portal_user.id}
            )

    def test_flag_on_the_customer_and_who_sets_it(self):
        Import = self.env["sale.order.batch.import"]
        self.assertFalse(
            Import.with_user(self.plain_portal_user)._portal_upload_allowed()
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.receiver).portal_order_upload = True
        self.customer.with_user(self.manager).portal_order_upload = True
        self.assertTrue(
            Import.with_user(self.plain_portal_user)._portal_upload_allowed()
        )
        # Not by a grade of another company.
        self.company.portal_upload_category_ids = False
        self.assertFalse(Import.with_user(self.portal_user)._portal_upload_allowed())


@tagged("post_install", "-at_install")
class TestPortalUploadTour(PortalUploadCase):
    @classmethod
    def setUpClass(cls):
        if common.websocket is None:
            raise unittest.SkipTest(
                "Tour skipped: the websocket-client module is not installed"
            )
        try:
            common._find_executable()
        except unittest.SkipTest as error:
            raise unittest.SkipTest(
                f"Tour skipped: no Chrome or Chromium to run it ({error})"
            ) from None
        super().setUpClass()

    def test_distributor_imports_orders_on_the_portal(self):
        self.start_tour(
            "/my/orders", "order_portal_upload_tour", login="omp_distributor"
        )
        orders = self._distributor_orders()
        self.assertEqual(orders.mapped("client_order_ref"), ["TOUR-PO-1", "TOUR-PO-2"])
        self.assertEqual(set(orders.mapped("procedure_stage")), {"received"})
        self.assertEqual(orders.batch_import_uploaded_by_id, self.portal_user)
