from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    packing_checked = fields.Boolean(
        copy=False,
        readonly=True,
        tracking=True,
        help="Someone checked that the packed contents match the order.",
    )
    packing_checked_by_id = fields.Many2one("res.users", copy=False, readonly=True)
    packing_checked_date = fields.Datetime(
        string="Packing Checked On", copy=False, readonly=True
    )
    expected_delivery_date = fields.Date(
        compute="_compute_expected_delivery_date",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
        help="When the customer should receive the goods; proposed from the "
        "carrier's transit days.",
    )
    logistics_event_ids = fields.One2many(
        "stock.picking.logistics.event", "picking_id", string="Logistics Events"
    )
    is_procedure_delivery = fields.Boolean(compute="_compute_is_procedure_delivery")
    return_request_count = fields.Integer(compute="_compute_return_request_count")

    @api.depends("carrier_id")
    def _compute_expected_delivery_date(self):
        today = fields.Date.context_today(self)
        for picking in self:
            if picking.carrier_id and not picking.expected_delivery_date:
                picking.expected_delivery_date = today + timedelta(
                    days=picking.carrier_id.transit_days
                )
            elif not picking.expected_delivery_date:
                picking.expected_delivery_date = False

    @api.depends("picking_type_code", "sale_id")
    def _compute_is_procedure_delivery(self):
        for picking in self:
            picking.is_procedure_delivery = bool(
                picking.sale_id and picking.picking_type_code == "outgoing"
            )

    def _compute_return_request_count(self):
        counts = dict(
            self.env["order.return.request"]._read_group(
                [("picking_id", "in", self.ids)], ["picking_id"], ["__count"]
            )
        )
        for picking in self:
            picking.return_request_count = counts.get(picking, 0)

    def action_view_return_requests(self):
        self.ensure_one()
        return self.env["order.return.request"]._get_list_action(
            [("picking_id", "=", self.id)]
        )

    def action_mark_packed(self):
        """The packer confirms the packed contents match the order."""
        not_open = self.filtered(lambda p: p.state in ("done", "cancel"))
        if not_open:
            raise UserError(
                self.env._(
                    "Only deliveries still to ship can be marked as packed: "
                    "%(pickings)s.",
                    pickings=", ".join(not_open.mapped("name")),
                )
            )
        self.write(
            {
                "packing_checked": True,
                "packing_checked_by_id": self.env.uid,
                "packing_checked_date": fields.Datetime.now(),
            }
        )
        return True

    def _get_shipping_problems(self):
        """What stops the procedure's outgoing deliveries from being shipped."""
        problems = []
        for picking in self.filtered("is_procedure_delivery"):
            if (
                picking.company_id.packing_check_required
                and not picking.packing_checked
            ):
                problems.append(
                    self.env._(
                        "%(picking)s: the packed contents have not been checked "
                        "against the order (Mark as Packed).",
                        picking=picking.name,
                    )
                )
            carrier = picking.carrier_id
            if not carrier:
                continue
            # Carriers shipping through their own API give the tracking number
            # on validation.
            ships_by_api = (
                carrier.delivery_type
                not in (
                    "fixed",
                    "base_on_rule",
                )
                and carrier.integration_level == "rate_and_ship"
            )
            if not picking.carrier_tracking_ref and not ships_by_api:
                problems.append(
                    self.env._(
                        "%(picking)s: %(carrier)s needs a tracking number.",
                        picking=picking.name,
                        carrier=carrier.name,
                    )
                )
            if not picking.expected_delivery_date:
                problems.append(
                    self.env._(
                        "%(picking)s: the expected delivery date is missing.",
                        picking=picking.name,
                    )
                )
        return problems

    def button_validate(self):
        # Modules' data files validate their demo deliveries at install.
        if not self.env.context.get("install_mode"):
            problems = self.filtered(
                lambda p: p.state not in ("done", "cancel")
            )._get_shipping_problems()
            if problems:
                raise UserError(
                    self.env._(
                        "The delivery cannot be shipped yet:\n%(problems)s",
                        problems="\n".join(f"- {p}" for p in problems),
                    )
                )
        open_deliveries = self.filtered(
            lambda p: p.is_procedure_delivery and p.state != "done"
        )
        open_pickings = self.filtered(lambda p: p.state != "done")
        result = super().button_validate()
        open_deliveries.filtered(lambda p: p.state == "done")._notify_shipped()
        done = open_pickings.filtered(lambda p: p.state == "done")
        if done:
            # sudo: the request follows its transfers, whoever validates them.
            requests = self.env["order.return.request"].sudo()
            requests.search(
                [("return_picking_id", "in", done.ids)]
            )._on_return_received()
            requests.search(
                [("exchange_picking_id", "in", done.ids), ("state", "=", "received")]
            ).write({"state": "done"})
        return result

    def _notify_shipped(self):
        """The customer learns the carrier, the tracking link and when to
        expect the goods."""
        template = self.env.ref("order_mgmt_procedure.mail_template_delivery_shipped")
        for picking in self:
            picking.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
