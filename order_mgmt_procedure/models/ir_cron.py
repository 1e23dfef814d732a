"""The progress of a scheduled action that works in committed batches, on
its form: Odoo records it (ir.cron.progress, one record per call of the
action) but does not show it."""

from odoo import fields, models


class IrCron(models.Model):
    _inherit = "ir.cron"

    progress_done = fields.Integer(
        string="Records Processed",
        compute="_compute_progress",
        help="Records the scheduled action processed since its backlog started: "
        "the runs cut by their time limit and the one under way or last.",
    )
    progress_remaining = fields.Integer(
        string="Records Remaining",
        compute="_compute_progress",
        help="Records left when the last batch was committed; 0 when the last "
        "run went through its backlog.",
    )
    progress_date = fields.Datetime(
        string="Progress Updated On", compute="_compute_progress"
    )

    def _compute_progress(self):
        Progress = self.env["ir.cron.progress"]
        for cron in self:
            last = Progress.search(
                [("cron_id", "=", cron.id)], order="id desc", limit=1
            )
            # The backlog started after the last run before that went through
            # its backlog (nothing left).
            through = Progress.search(
                [
                    ("cron_id", "=", cron.id),
                    ("id", "<", last.id),
                    ("remaining", "=", 0),
                ],
                order="id desc",
                limit=1,
            )
            [(done,)] = Progress._read_group(
                [("cron_id", "=", cron.id), ("id", ">", through.id or 0)],
                aggregates=["done:sum"],
            )
            cron.progress_done = done or 0
            cron.progress_remaining = last.remaining
            cron.progress_date = last.write_date
