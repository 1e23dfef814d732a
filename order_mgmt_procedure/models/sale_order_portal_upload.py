"""Reception, channel Batch Import from the portal: the orders a distributor's
portal user uploaded, who uploaded them, and the receivers told once per file."""

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import plaintext2html

_logger = logging.getLogger(__name__)

PORTAL_UPLOAD_ACTIVITY = "order_mgmt_procedure.mail_activity_type_order_portal_upload"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # === FIELDS === #

    batch_import_uploaded_by_id = fields.Many2one(
        "res.users",
        string="Uploaded By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The distributor's portal user who uploaded the file this order "
        "was imported from (My Orders > Import Orders).",
    )

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        return {
            **super()._get_procedure_fact_fields(),
            "batch_import_uploaded_by_id": self.env._("Import Orders on the portal"),
        }

    # === BUSINESS METHODS === #

    def _hand_over_portal_upload(self, filename):
        """The orders of one uploaded file: a note on each, and the receiver
        who takes the customer's orders gets one activity, on the first, and
        is the salesperson of those without one (as for orders by e-mail)."""
        if not self:
            return
        uploader = self.env.user
        customer = self[0].partner_id.commercial_partner_id
        company = self[0].company_id
        orders = self._with_procedure_lang()
        body = Markup(
            orders.env._(
                "Uploaded on the portal by %(user)s (%(customer)s) in the file "
                "%(file)s."
            )
        ) % {"user": uploader.name, "customer": customer.name, "file": filename}
        # One message per order written at once; a note, not sent to anyone.
        orders._message_log_batch(
            bodies=dict.fromkeys(orders.ids, body),
            author_id=uploader.partner_id.id,
        )
        receiver = self._pick_intake_receiver(customer, company, PORTAL_UPLOAD_ACTIVITY)
        if not receiver:
            _logger.warning(
                "Orders %s uploaded on the portal by %s: no order receiver of %s "
                "may take them; no activity was scheduled.",
                ", ".join(self.mapped("name")),
                uploader.login,
                company.name,
            )
            return
        self.filtered(lambda order: not order.user_id).user_id = receiver
        first = self[0].with_context(lang=receiver.lang or self.env.lang)
        if len(self) == 1:
            note = first.env._(
                "%(customer)s uploaded the order %(order)s on the portal "
                "(%(file)s). Check it and submit it for review.",
                customer=customer.name,
                order=self.name,
                file=filename,
            )
        else:
            note = first.env._(
                "%(customer)s uploaded %(count)s orders on the portal (%(file)s): "
                "%(orders)s. Check them and submit them for review.",
                customer=customer.name,
                count=len(self),
                file=filename,
                orders=", ".join(self.mapped("name")),
            )
        # Quick update: no assignment e-mail, as for orders by e-mail.
        first.with_context(mail_activity_quick_update=True).activity_schedule(
            PORTAL_UPLOAD_ACTIVITY, user_id=receiver.id, note=plaintext2html(note)
        )
