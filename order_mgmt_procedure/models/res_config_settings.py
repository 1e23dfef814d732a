from odoo import fields, models

# The switches of the procedure; a company whose switches are all off works as
# plain Odoo.
PROCEDURE_SWITCHES = (
    "order_review_required",
    "packing_check_required",
    "supplier_qualification_required",
)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    order_review_required = fields.Boolean(
        related="company_id.order_review_required", readonly=False
    )
    order_reviewer_not_creator = fields.Boolean(
        related="company_id.order_reviewer_not_creator", readonly=False
    )
    after_sales_days = fields.Integer(
        related="company_id.after_sales_days", readonly=False
    )
    return_sla_days = fields.Integer(
        related="company_id.return_sla_days", readonly=False
    )
    exchange_sla_days = fields.Integer(
        related="company_id.exchange_sla_days", readonly=False
    )
    review_target_hours = fields.Float(
        related="company_id.review_target_hours", readonly=False
    )
    # Working days and hours of the procedure count on it (as Employees' own
    # setting of the same name does).
    resource_calendar_id = fields.Many2one(
        related="company_id.resource_calendar_id", readonly=False
    )
    packing_check_required = fields.Boolean(
        related="company_id.packing_check_required", readonly=False
    )
    supplier_qualification_required = fields.Boolean(
        related="company_id.supplier_qualification_required", readonly=False
    )
    batch_import_max_rows = fields.Integer(
        related="company_id.batch_import_max_rows", readonly=False
    )
    batch_import_max_size_mb = fields.Integer(
        related="company_id.batch_import_max_size_mb", readonly=False
    )

    batch_import_background_rows = fields.Integer(
        related="company_id.batch_import_background_rows", readonly=False
    )
    # Whether OCA's Job Queue is installed: the background import needs it.
    batch_import_background_available = fields.Boolean(
        compute="_compute_batch_import_background_available",
        export_string_translation=False,
    )

    def _compute_batch_import_background_available(self):
        available = self.env["sale.order.batch.import.job"]._is_available()
        for settings in self:
            settings.batch_import_background_available = available

    def set_values(self):
        result = super().set_values()
        # Companies made later start with the switches as the administrator
        # last set them (Odoo's defaults), not switched on again.
        for fname in PROCEDURE_SWITCHES:
            self.env["ir.default"].set("res.company", fname, self[fname])
        return result
