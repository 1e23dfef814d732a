from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.text import join_items

EXCEPTION_EVENT_TYPES = ("delayed", "lost", "damaged")


class StockPickingLogisticsEvent(models.Model):
    _name = "stock.picking.logistics.event"
    _inherit = ["order.procedure.facts.mixin"]
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
    # Follows the type as the user edits the line; only Resolve closes an
    # exception (resolved_date), so none is saved as handled by mistake.
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        compute="_compute_state",
        store=True,
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

    @api.depends("is_exception", "resolved_date")
    def _compute_state(self):
        for event in self:
            resolved = not event.is_exception or event.resolved_date
            event.state = "resolved" if resolved else "open"

    @api.depends("is_exception", "state")
    def _compute_can_resolve(self):
        for event in self:
            event.can_resolve = event.is_exception and event.state == "open"

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        steps = self.env._("the Resolve button")
        return {
            **super()._get_procedure_fact_fields(),
            **dict.fromkeys(("state", "resolved_by_id", "resolved_date"), steps),
        }

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events.filtered("is_exception")._open_exception()
        return events

    def write(self, vals):
        # A line saved as In Transit and corrected to Delayed later opens
        # an exception then, with its activity and the customer's e-mail.
        opening = (
            self.filtered(lambda e: not e.is_exception)
            if "event_type" in vals
            else self.browse()
        )
        result = super().write(vals)
        opening.filtered("is_exception")._open_exception()
        return result

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
                    events=join_items(
                        self.env,
                        [
                            f"{e.picking_id.name} ({e._get_type_label()})"
                            for e in missing_note
                        ],
                    ),
                )
            )
        to_resolve = self.filtered("can_resolve")
        to_resolve._write_procedure_facts(
            {
                "resolved_by_id": self.env.uid,
                "resolved_date": fields.Datetime.now(),
            }
        )
        to_resolve._notify_customer()
        return True

    # === BUSINESS METHODS === #

    def _open_exception(self):
        """An activity for whoever follows the order, and the customer told."""
        for event in self:
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
        self._notify_customer()

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
