from odoo import models

from .sale_order_review import PAID_ONLINE


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        # Orders paid online are confirmed, then reviewed after the fact; an
        # automatic step, tracked in the company's language.
        self.env["sale.order"]._track_in_procedure_lang()
        return super(
            PaymentTransaction, self.with_context(order_review_paid_online=PAID_ONLINE)
        )._check_amount_and_confirm_order()
