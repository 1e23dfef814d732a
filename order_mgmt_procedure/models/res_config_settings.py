from odoo import api, fields, models

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
    portal_upload_category_ids = fields.Many2many(
        related="company_id.portal_upload_category_ids", readonly=False
    )
    # Whether OCA's Job Queue is installed: the background import needs it.
    batch_import_background_available = fields.Boolean(
        compute="_compute_batch_import_background_available",
        export_string_translation=False,
    )

    order_mail_alias_name = fields.Char(
        string="Order E-mail Alias",
        compute="_compute_order_mail_alias",
        store=True,
        readonly=False,
        help="E-mails to this address become quotations in Received; leave it "
        "empty to receive no orders by e-mail.",
    )
    order_mail_alias_domain_id = fields.Many2one(
        "mail.alias.domain",
        string="Order E-mail Alias Domain",
        compute="_compute_order_mail_alias",
        store=True,
        readonly=False,
    )

    def _compute_batch_import_background_available(self):
        available = self.env["sale.order.batch.import.job"]._is_available()
        for settings in self:
            settings.batch_import_background_available = available

    @api.depends("company_id")
    def _compute_order_mail_alias(self):
        for settings in self:
            alias = settings.company_id.order_mail_alias_id
            settings.order_mail_alias_name = alias.alias_name
            settings.order_mail_alias_domain_id = (
                alias.alias_domain_id or settings.company_id.alias_domain_id
            )

    def _set_order_mail_alias(self):
        """The company's order alias as set: created, renamed or removed."""
        company = self.company_id
        alias = company.order_mail_alias_id
        domain = self.order_mail_alias_domain_id or company.alias_domain_id
        if not self.order_mail_alias_name:
            if alias:
                company.order_mail_alias_id = False
                alias.unlink()
            return
        values = {
            "alias_name": self.order_mail_alias_name,
            "alias_domain_id": domain.id,
        }
        if alias:
            if alias.alias_name != values["alias_name"] or (
                alias.alias_domain_id != domain
            ):
                alias.write(values)
            return
        company.order_mail_alias_id = self.env["mail.alias"].create(
            {
                **values,
                "alias_model_id": self.env["ir.model"]._get_id("sale.order"),
                # Anyone may write: unknown senders are noted for the
                # receivers, not bounced (see sale_order_mail_intake).
                "alias_contact": "everyone",
                "alias_defaults": repr({"company_id": company.id}),
            }
        )

    def set_values(self):
        result = super().set_values()
        self._set_order_mail_alias()
        # Companies made later start with the switches as the administrator
        # last set them (Odoo's defaults), not switched on again.
        for fname in PROCEDURE_SWITCHES:
            self.env["ir.default"].set("res.company", fname, self[fname])
        return result
