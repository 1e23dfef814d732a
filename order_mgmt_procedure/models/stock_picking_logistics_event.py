from odoo import api, fields, models
from odoo.exceptions import UserError

EXCEPTION_EVENT_TYPES = ("delayed", "lost", "damaged")


class StockPickingLogisticsEvent(models.Model):
    _name = "stock.picking.logistics.event"
    _description = "Logistics Event of a Delivery"
    _order = "date desc, id desc"

    # === FIELDS === #

    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sale_id = fields.Many2one(
        related="picking_id.sale_id", store=True, index=True, string="Sales Order"
    )
    partner_id = fields.Many2one(related="picking_id.partner_id", string="Recipient")
    company_id = fields.Many2one(related="picking_id.company_id", store=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    event_type = fields.Selection(
        [
            ("in_transit", "In Transit"),
            ("delayed", "Delayed"),
            ("lost", "Lost"),
            ("damaged", "Damaged"),
            ("delivered", "Delivered"),
            ("other", "Other"),
        ],
        required=True,
        default="in_transit",
    )
    description = fields.Text(help="What the carrier or the customer reported.")
    is_exception = fields.Boolean(
        compute="_compute_is_exception",
        store=True,
        help="Delays, losses and damages must be handled and the customer told.",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        compute="_compute_state",
        store=True,
        readonly=False,
    )
    handling_note = fields.Text(help="How the exception was handled.")
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    customer_notified = fields.Boolean(
        readonly=True, help="The customer was e-mailed about this event."
    )
    # Technical: the Resolve button follows it; its label is never shown.
    can_resolve = fields.Boolean(
        compute="_compute_can_resolve", export_string_translation=False
    )

    # === COMPUTE METHODS === #

    @api.depends("event_type")
    def _compute_is_exception(self):
        for event in self:
            event.is_exception = event.event_type in EXCEPTION_EVENT_TYPES

    @api.depends("is_exception")
    def _compute_state(self):
        for event in self:
            if not event.state or not event.is_exception:
                event.state = "open" if event.is_exception else "resolved"

    @api.depends("is_exception", "state")
    def _compute_can_resolve(self):
        for event in self:
            event.can_resolve = event.is_exception and event.state == "open"

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        exceptions = events.filtered("is_exception")
        for event in exceptions:
            responsible = (
                event.sale_id.user_id or event.picking_id.user_id or self.env.user
            )
            # Titled by its type in the reader's language; the note, stored,
            # in the company's.
            picking = event.picking_id._with_procedure_lang()
            event_type = event.with_env(picking.env)._get_type_label()
            picking.activity_schedule(
                "order_mgmt_procedure.mail_activity_type_logistics_exception",
                note=picking.env._(
                    "%(type)s: %(description)s",
                    type=event_type,
                    description=event.description,
                )
                if event.description
                else event_type,
                user_id=responsible.id,
            )
        exceptions._notify_customer()
        return events

    # === ACTION METHODS === #

    def action_resolve(self):
        """Close an exception: the handling note is required and the customer
        is told how it was handled."""
        missing_note = self.filtered(lambda e: not (e.handling_note or "").strip())
        if missing_note:
            raise UserError(
                self.env._(
                    "Write how the exception was handled before resolving it: "
                    "%(events)s.",
                    events=", ".join(
                        f"{e.picking_id.name} ({e._get_type_label()})"
                        for e in missing_note
                    ),
                )
            )
        to_resolve = self.filtered("can_resolve")
        to_resolve.write(
            {
                "state": "resolved",
                "resolved_by_id": self.env.uid,
                "resolved_date": fields.Datetime.now(),
            }
        )
        to_resolve._notify_customer()
        return True

    # === BUSINESS METHODS === #

    def _get_type_label(self):
        self.ensure_one()
        return dict(self._fields["event_type"]._description_selection(self.env))[
            self.event_type
        ]

    def _notify_customer(self):
        template = self.env.ref(
            "order_mgmt_procedure.mail_template_logistics_exception"
        )
        for event in self:
            event.picking_id.with_context(
                logistics_event_id=event.id
            ).message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        self.customer_notified = True
