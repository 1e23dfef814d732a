"""The background import (with OCA queue_job) and, without it, the import
staying synchronous whatever the file's size."""

import contextlib
import unittest
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_batch_import import BatchImportCase, csv_file

try:
    from odoo.addons.queue_job.job import Job
except ImportError:  # queue_job is not installed in Python
    Job = None


@tagged("post_install", "-at_install")
class TestBackgroundImport(BatchImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Files of more than two lines go to the background (the test files
        # have three).
        cls.company.batch_import_background_rows = 2
        cls.Job = cls.env["sale.order.batch.import.job"]

    def _require_queue_job(self):
        if not self.Job._is_available():
            raise unittest.SkipTest(
                "OCA queue_job is not installed in the test database: the "
                "background import cannot run (scripts/test installs it where "
                "it is installed in Python)"
            )

    def _start(self, content=None, user=None, **values):
        wizard = self._wizard(
            content or csv_file(self._rows()), "orders.csv", user=user, **values
        )
        action = wizard.action_import()
        self.assertEqual(action["res_model"], "sale.order.batch.import.job")
        return self.Job.browse(action["res_id"]), wizard

    def _perform(self, record):
        job = Job.load(self.env, record.job_uuid)
        job.perform()
        job.set_done()
        job.store()
        record.invalidate_recordset()

    def _inbox_messages(self, record):
        return record.message_ids.filtered(
            lambda m: self.receiver.partner_id in m.notified_partner_ids
        )

    def test_large_file_imported_by_a_job_as_the_receiver(self):
        self._require_queue_job()
        before = self._counts()
        record, wizard = self._start()
        # Checked, queued, nothing created yet.
        self.assertEqual(self._counts(), before)
        self.assertFalse(wizard.order_ids)
        queued = self.env["queue.job"].search([("uuid", "=", record.job_uuid)])
        self.assertEqual(queued.user_id, self.receiver, "runs as the receiver")
        self.assertEqual(queued.state, "pending")
        self.assertEqual(record.state, "queued")
        self.assertEqual(record.line_count, 3)
        self._perform(record)
        self.assertEqual(queued.state, "done")
        self.assertEqual(record.state, "done")
        orders = record.order_ids.sorted("client_order_ref")
        self.assertEqual(orders.mapped("client_order_ref"), ["PO-1001", "PO-1002"])
        self.assertEqual(set(orders.mapped("create_uid")), {self.receiver})
        self.assertEqual(set(orders.mapped("order_channel")), {"import"})
        self.assertEqual(len(orders[0].order_line), 2)
        message = self._inbox_messages(record)
        self.assertEqual(len(message), 1, "the receiver is notified once")
        self.assertIn("2 orders were created", message.body)
        # The receiver sees the record and opens the orders from it.
        own = record.with_user(self.receiver)
        self.assertEqual(own.state, "done")
        domain = own.action_open_orders()["domain"]
        self.assertEqual(self.env["sale.order"].search(domain), orders)

    def test_job_run_again_imports_nothing_twice(self):
        # queue_job requeues a job whose worker died; a user may requeue a
        # done job: the second run finds the result and creates nothing.
        self._require_queue_job()
        record, __ = self._start()
        self._perform(record)
        orders = record.order_ids
        self.assertEqual(len(orders), 2)
        before = self._counts()
        job = Job.load(self.env, record.job_uuid)
        self.assertEqual(job.perform(), "done")
        record.invalidate_recordset()
        self.assertEqual(self._counts(), before)
        self.assertEqual(record.order_ids, orders)
        self.assertEqual(len(self._inbox_messages(record)), 1, "notified once")

    def test_submit_for_review_in_the_job(self):
        self._require_queue_job()
        record, __ = self._start(submit_for_review=True)
        self._perform(record)
        self.assertEqual(set(record.order_ids.mapped("review_state")), {"to_review"})

    def test_file_wrong_when_the_job_runs_reported_row_by_row(self):
        self._require_queue_job()
        record, __ = self._start()
        # The product of row 3 cannot be sold any more when the job runs.
        self.product_no_stock.sale_ok = False
        before = self._counts()
        self._perform(record)
        self.assertEqual(self._counts(), before, "all or nothing")
        self.assertEqual(record.state, "failed")
        self.assertFalse(record.order_ids)
        self.assertIn("Nothing was imported", record.report)
        self.assertIn("Row 3, column C (Product)", record.report)
        self.assertIn("cannot be sold", record.report)
        message = self._inbox_messages(record)
        self.assertEqual(len(message), 1)
        self.assertIn("was not imported", message.body)
        self.assertIn("Row 3, column C (Product)", message.body)

    def test_wrong_file_refused_at_once_without_a_job(self):
        self._require_queue_job()
        rows = self._rows()
        rows[1][2] = "NO-SUCH-PRODUCT"
        self.assertImportRefused(csv_file(rows), "orders.csv", "Row 2, column C")
        self.assertFalse(self.Job.search([]))

    def test_small_file_and_zero_threshold_stay_synchronous(self):
        self._require_queue_job()
        self.company.batch_import_background_rows = 3
        orders = self._import(csv_file(self._rows()), "orders.csv")
        self.assertEqual(len(orders), 2)
        orders.action_cancel()
        self.company.batch_import_background_rows = 0
        orders = self._import(csv_file(self._rows()), "orders.csv")
        self.assertEqual(len(orders), 2)
        self.assertFalse(self.Job.search([]))

    def test_only_the_receiver_and_managers_see_an_import(self):
        self._require_queue_job()
        record, __ = self._start()
        self.assertFalse(self.Job.with_user(self.receiver_2).search([]))
        self.assertEqual(self.Job.with_user(self.manager).search([]), record)
        with self.assertRaises(AccessError):
            record.with_user(self.receiver).write({"result": "done"})
        with self.assertRaises(AccessError):
            self.Job.with_user(self.receiver).create(
                {"name": "x.csv", "result": "done", "user_id": self.receiver.id}
            )

    def test_without_queue_job_every_file_is_imported_at_once(self):
        if self.Job._is_available():
            # queue_job installed: the same database without it, as the
            # import sees it.
            unavailable = patch.object(
                type(self.Job), "_is_available", return_value=False
            )
        else:
            unavailable = contextlib.nullcontext()
        with unavailable:
            orders = self._import(csv_file(self._rows()), "orders.csv")
        self.assertEqual(len(orders), 2)
        self.assertFalse(self.Job.search([]))

    def test_threshold_cannot_be_negative(self):
        with self.assertRaises(UserError):
            self.company.batch_import_background_rows = -1
            self.company.flush_recordset()
