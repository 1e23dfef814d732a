from odoo import fields, models


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    transit_days = fields.Integer(
        default=3,
        help="Usual days between shipment and delivery; proposes the expected "
        "delivery date of the carrier's deliveries.",
    )
