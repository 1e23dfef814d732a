from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    order_review_required = fields.Boolean(
        string="Review Required Before Confirmation",
        default=True,
        help="A quotation can only be confirmed through an approved review.",
    )
    order_reviewer_not_creator = fields.Boolean(
        string="Reviewer Must Not Be the Creator",
        default=True,
        help="Nobody may approve the review of an order they created themselves.",
    )
    after_sales_days = fields.Integer(
        string="After-Sales Window (Days)",
        default=30,
        help="Days of after-sales support after an order is completed. "
        "Product categories may set a longer window.",
    )
    return_sla_days = fields.Integer(
        string="Return Processing SLA (Working Days)",
        default=7,
        help="Working days, on the company's calendar, within which an approved "
        "return must be processed.",
    )
    exchange_sla_days = fields.Integer(
        string="Exchange Delivery SLA (Working Days)",
        default=3,
        help="Working days, on the company's calendar, within which the goods of an "
        "approved exchange must be delivered.",
    )
    review_target_hours = fields.Float(
        string="Review Target (Working Hours)",
        default=4.0,
        help="Working hours, on the company's calendar, within which a submitted "
        "order should be approved or returned. Procedure Analysis measures the "
        "share of reviews that meet it; reviews started after a change use the "
        "new target.",
    )
    packing_check_required = fields.Boolean(
        default=True,
        help="An outgoing delivery of an order can only be validated once someone "
        "has checked that the packed contents match the order.",
    )
    supplier_qualification_required = fields.Boolean(
        string="Qualified Suppliers Only",
        default=True,
        help="Purchase orders can only be confirmed with vendors whose "
        "qualification is valid.",
    )
    batch_import_max_rows = fields.Integer(
        string="Batch Import: Most Lines per File",
        default=5000,
        help="Order files with more lines than this are refused; split them.",
    )
    batch_import_max_size_mb = fields.Integer(
        string="Batch Import: Largest File (MB)",
        default=10,
        help="Order files larger than this are refused.",
    )

    order_mail_alias_id = fields.Many2one(
        "mail.alias",
        string="Order E-mail Alias",
        copy=False,
        ondelete="set null",
        help="E-mails to this address become quotations in Received (channel "
        "E-mail), or the orders of the template files they carry.",
    )

    batch_import_background_rows = fields.Integer(
        string="Batch Import: In the Background From (Lines)",
        default=500,
        help="Where OCA's Job Queue (queue_job) is installed, files with more "
        "order lines than this are imported in the background once checked: the "
        "receiver is notified when it is done. 0: always while they wait. "
        "Without Job Queue every file is imported while the receiver waits.",
    )

    portal_upload_category_ids = fields.Many2many(
        "res.partner.category",
        "res_company_portal_upload_category_rel",
        "company_id",
        "category_id",
        string="Distributor Grades",
        help="Customers with one of these tags (on their company) are "
        "distributors: their portal users upload their own order files in My "
        "Orders > Import Orders. A customer's Portal Order Upload box gives it "
        "to one customer.",
    )

    @api.constrains("batch_import_background_rows")
    def _check_batch_import_background_rows(self):
        for company in self:
            if company.batch_import_background_rows < 0:
                raise ValidationError(
                    self.env._(
                        "The number of lines from which %(company)s imports files "
                        "in the background cannot be negative.",
                        company=company.display_name,
                    )
                )

    @api.constrains("batch_import_max_rows", "batch_import_max_size_mb")
    def _check_batch_import_limits(self):
        for company in self:
            if (
                company.batch_import_max_rows < 1
                or company.batch_import_max_size_mb < 1
            ):
                raise ValidationError(
                    self.env._(
                        "The batch import limits of %(company)s must be at least one "
                        "line and one MB.",
                        company=company.display_name,
                    )
                )

    @api.constrains("after_sales_days", "return_sla_days", "exchange_sla_days")
    def _check_procedure_days(self):
        for company in self:
            if company.after_sales_days < 0:
                raise ValidationError(
                    self.env._(
                        "The after-sales window of %(company)s cannot be negative.",
                        company=company.display_name,
                    )
                )
            if company.return_sla_days < 1 or company.exchange_sla_days < 1:
                raise ValidationError(
                    self.env._(
                        "The return and exchange SLAs of %(company)s must be at least "
                        "one working day.",
                        company=company.display_name,
                    )
                )

    @api.constrains("review_target_hours")
    def _check_review_target_hours(self):
        for company in self:
            if company.review_target_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "The review target of %(company)s must be more than zero "
                        "working hours.",
                        company=company.display_name,
                    )
                )
