"""Background imports of order files (with OCA queue_job, when installed).

A file with more lines than the company's Batch Import: In the Background
From is checked in the request (its problems are reported at once, as for
any file), then imported by a queue job, run as the receiver who started it
(their access rules apply, no sudo). The record below is what the receiver
sees of it: its state, the orders once imported, the row-by-row report when
the file turned out wrong; the receiver is notified in their Odoo inbox when
it ends. Still all or nothing: the job creates every order of the file or
none. Without queue_job the import stays synchronous (and this model unused).
"""

import base64

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

IMPORT_JOB_STATES = [
    ("queued", "Waiting"),
    ("running", "Importing"),
    ("done", "Imported"),
    ("failed", "Not Imported"),
]
# queue_job's states, as ours.
QUEUE_JOB_STATES = {
    "wait_dependencies": "queued",
    "pending": "queued",
    "enqueued": "queued",
    "started": "running",
    "failed": "failed",
    "cancelled": "failed",
}


class SaleOrderBatchImportJob(models.Model):
    _name = "sale.order.batch.import.job"
    _inherit = ["mail.thread", "order.procedure.facts.mixin"]
    _description = "Background Import of Orders"
    _order = "id desc"

    # === FIELDS === #

    name = fields.Char(string="File Name", required=True, readonly=True)
    file = fields.Binary(string="Order File", attachment=True, readonly=True)
    submit_for_review = fields.Boolean(string="Submit for Review", readonly=True)
    line_count = fields.Integer(string="Order Lines", readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Started By",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    result = fields.Selection(
        [("done", "Imported"), ("failed", "Not Imported")],
        readonly=True,
        export_string_translation=False,
    )
    state = fields.Selection(
        IMPORT_JOB_STATES,
        string="Status",
        compute="_compute_state",
        help="Waiting: the import is queued; Importing: it runs; Imported: "
        "every order of the file was created; Not Imported: none was, the "
        "report says why.",
    )
    job_uuid = fields.Char(readonly=True, copy=False, export_string_translation=False)
    order_ids = fields.Many2many(
        "sale.order", string="Imported Orders", readonly=True, copy=False
    )
    order_count = fields.Integer(string="Orders", compute="_compute_order_count")
    report = fields.Text(
        string="Problems",
        readonly=True,
        help="Why nothing was imported: the problems of the file, row by row.",
    )
    date_done = fields.Datetime(string="Ended On", readonly=True)

    # === COMPUTE METHODS === #

    @api.depends("result", "job_uuid")
    def _compute_state(self):
        jobs = {}
        pending = self.filtered(lambda r: not r.result and r.job_uuid)
        if pending and "queue.job" in self.env:
            # sudo: receivers may not read queue_job's jobs; only the state
            # of the jobs of their own imports is shown.
            found = (
                self.env["queue.job"]
                .sudo()
                .search_fetch(
                    [("uuid", "in", pending.mapped("job_uuid"))], ["uuid", "state"]
                )
            )
            jobs = {job.uuid: job.state for job in found}
        for record in self:
            if record.result:
                record.state = record.result
            else:
                record.state = QUEUE_JOB_STATES.get(jobs.get(record.job_uuid), "queued")

    @api.depends("order_ids")
    def _compute_order_count(self):
        for record in self:
            record.order_count = len(record.order_ids)

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        # Everything of a background import is what the import made of it.
        step = self.env._("Import Orders")
        return {
            **super()._get_procedure_fact_fields(),
            **dict.fromkeys(
                (
                    "name",
                    "file",
                    "submit_for_review",
                    "line_count",
                    "user_id",
                    "company_id",
                    "result",
                    "job_uuid",
                    "order_ids",
                    "report",
                    "date_done",
                ),
                step,
            ),
        }

    # === ACTION METHODS === #

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale.action_quotations_with_onboarding"
        )
        action.update(
            {
                "name": self.env._("Imported Orders"),
                "display_name": self.env._("Imported Orders"),
                "domain": [("id", "in", self.order_ids.ids)],
                "context": {"create": False},
                "target": "current",
            }
        )
        return action

    # === BUSINESS METHODS === #

    @api.model
    def _is_available(self):
        """Whether imports can run in the background: OCA queue_job is
        installed in this database (no dependency of the addon)."""
        return "queue.job" in self.env and hasattr(self, "with_delay")

    def _enqueue(self):
        """Queue the import of each record, as its receiver."""
        for record in self:
            job = (
                record.with_user(record.user_id)
                .with_context(lang=record.user_id.lang or self.env.lang)
                .with_delay(
                    description=self.env._(
                        "Import of orders: %(file)s", file=record.name
                    )
                )
                ._run_import()
            )
            record._write_procedure_facts({"job_uuid": getattr(job, "uuid", False)})

    def _run_import(self):
        """The job: import the file all or nothing, as the receiver; a file
        found wrong now (a customer archived meanwhile...) is reported row by
        row on the record, as the wizard reports it, and nothing is created."""
        self.ensure_one()
        # A job run again (queue_job requeues a job whose worker died, a
        # user requeues a done one) imports nothing twice: the record's row
        # is locked until this run commits, the second run then finds the
        # result written.
        self._lock_procedure_step()
        self.invalidate_recordset(["result"])
        if self.result:
            return self.result
        wizard = self.env["sale.order.batch.import"].create(
            {
                "file": base64.b64encode(base64.b64decode(self.file or b"")),
                "filename": self.name,
                "submit_for_review": self.submit_for_review,
                "company_id": self.company_id.id,
            }
        )
        try:
            with self.env.cr.savepoint():
                wizard.with_context(batch_import_synchronous=True).action_import()
        except UserError as error:
            self._write_procedure_facts(
                {
                    "result": "failed",
                    "report": str(error.args[0] if error.args else error),
                    "date_done": fields.Datetime.now(),
                }
            )
        else:
            self._write_procedure_facts(
                {
                    "result": "done",
                    "order_ids": [fields.Command.set(wizard.order_ids.ids)],
                    "date_done": fields.Datetime.now(),
                }
            )
        self._notify_receiver()
        return self.result

    def _notify_receiver(self):
        """A message on the record, to the receiver's inbox, in their language."""
        self.ensure_one()
        record = self.with_context(lang=self.user_id.lang or self.env.lang)
        if record.result == "done":
            body = record.env._(
                "%(file)s is imported: %(count)s orders were created.",
                file=record.name,
                count=len(record.order_ids),
            )
        else:
            body = record.env._(
                "%(file)s was not imported; nothing was created:\n%(report)s",
                file=record.name,
                report=record.report or "",
            )
        record.message_post(
            body=plaintext2html(body),
            partner_ids=record.user_id.partner_id.ids,
            message_type="notification",
            subtype_xmlid="mail.mt_note",
            # The job runs as the receiver, who is the author: notified all
            # the same, as the one it is addressed to.
            notify_author_mention=True,
        )
