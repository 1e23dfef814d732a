from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.cron import commit_batch, in_scheduled_run
from ..tools.data_loading import loading_module_data
from ..tools.text import join_items


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "order.procedure.facts.mixin"]

    # === FIELDS === #

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
        "scheduled date and the carrier's transit days, without a carrier from "
        "the date promised to the customer or the scheduled date.",
    )
    # Odoo's users without a procedure role (salespeople) open deliveries
    # too: what they may not read is left out of their screens.
    logistics_event_ids = fields.One2many(
        "stock.picking.logistics.event",
        "picking_id",
        string="Logistics Events",
        groups="order_mgmt_procedure.group_order_receiver,stock.group_stock_user",
    )
    # The shipping e-mail waiting for the scheduled action that sends the
    # queued ones in batches (not on the screens).
    shipping_notice_pending = fields.Boolean(
        string="Shipping E-mail Queued", copy=False, readonly=True
    )
    is_procedure_delivery = fields.Boolean(compute="_compute_is_procedure_delivery")
    # Packing Check Required switches the shipping checks on: the form then
    # shows carrier, tracking number and expected date on its main page.
    shipping_checks_required = fields.Boolean(
        compute="_compute_shipping_checks_required", export_string_translation=False
    )
    return_request_count = fields.Integer(
        compute="_compute_return_request_count",
        groups="order_mgmt_procedure.group_order_receiver,stock.group_stock_user",
    )
    # Technical: the form's button and ribbon follow them; their labels are
    # never shown, so they are not exported for translation.
    is_to_ship = fields.Boolean(
        compute="_compute_is_to_ship", export_string_translation=False
    )
    can_mark_packed = fields.Boolean(
        compute="_compute_can_mark_packed", export_string_translation=False
    )

    # What the sending of queued shipping e-mails searches: the few pending.
    _shipping_notice_pending_idx = models.Index(
        "(id) WHERE shipping_notice_pending IS TRUE"
    )

    # === COMPUTE METHODS === #

    @api.depends(
        "carrier_id", "sale_id.commitment_date", "scheduled_date", "picking_type_code"
    )
    def _compute_expected_delivery_date(self):
        for picking in self:
            proposal = picking._get_expected_delivery_proposal()
            if proposal:
                picking.expected_delivery_date = proposal
            elif not picking.expected_delivery_date:
                picking.expected_delivery_date = False

    @api.depends("picking_type_code", "sale_id")
    def _compute_is_procedure_delivery(self):
        for picking in self:
            picking.is_procedure_delivery = bool(
                picking.sale_id and picking.picking_type_code == "outgoing"
            )

    @api.depends("is_procedure_delivery", "company_id.packing_check_required")
    def _compute_shipping_checks_required(self):
        for picking in self:
            picking.shipping_checks_required = (
                picking.is_procedure_delivery
                and picking.company_id.packing_check_required
            )

    def _compute_return_request_count(self):
        counts = dict(
            self.env["order.return.request"]._read_group(
                [("picking_id", "in", self.ids)], ["picking_id"], ["__count"]
            )
        )
        for picking in self:
            picking.return_request_count = counts.get(picking, 0)

    @api.depends("state")
    def _compute_is_to_ship(self):
        for picking in self:
            picking.is_to_ship = picking.state not in ("done", "cancel")

    @api.depends("is_procedure_delivery", "is_to_ship", "packing_checked", "state")
    def _compute_can_mark_packed(self):
        for picking in self:
            # A draft transfer has nothing reserved to pack yet.
            picking.can_mark_packed = (
                picking.is_procedure_delivery
                and picking.is_to_ship
                and picking.state != "draft"
                and not picking.packing_checked
            )

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        steps = self.env._("Mark as Packed")
        return {
            **super()._get_procedure_fact_fields(),
            **dict.fromkeys(
                ("packing_checked", "packing_checked_by_id", "packing_checked_date"),
                steps,
            ),
            "shipping_notice_pending": self.env._("Validate"),
        }

    # === ACTION METHODS === #

    def action_view_return_requests(self):
        self.ensure_one()
        return self.env["order.return.request"]._get_list_action(
            [("picking_id", "=", self.id)]
        )

    def action_mark_packed(self):
        """The packer confirms the packed contents match the order."""
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(
                self.env._(
                    "Only warehouse staff (Inventory users) may mark deliveries "
                    "as packed."
                )
            )
        not_open = self.filtered(lambda p: not p.is_to_ship)
        if not_open:
            raise UserError(
                self.env._(
                    "Only deliveries still to ship can be marked as packed: "
                    "%(pickings)s.",
                    pickings=join_items(self.env, not_open.mapped("name")),
                )
            )
        self._write_procedure_facts(
            {
                "packing_checked": True,
                "packing_checked_by_id": self.env.uid,
                "packing_checked_date": fields.Datetime.now(),
            }
        )
        return True

    def button_validate(self):
        # Modules' data files validate their demo deliveries at install.
        if not loading_module_data(self.env):
            self.filtered("is_to_ship")._check_shippable()
        open_pickings = self.filtered(lambda p: p.state != "done")
        result = super().button_validate()
        open_pickings.filtered(lambda p: p.state == "done")._on_validated()
        return result

    # === BUSINESS METHODS: SHIPPING === #

    def _get_expected_delivery_proposal(self):
        """When the customer should receive the goods: the shipping day (the
        scheduled date, today when it is past) plus the carrier's transit
        days; without a carrier, for a customer delivery, the date promised
        to the customer (the order's commitment date), else the scheduled
        date. False when there is nothing to propose from."""
        self.ensure_one()
        scheduled = self.scheduled_date and fields.Date.context_today(
            self, self.scheduled_date
        )
        if self.carrier_id:
            shipping_day = max(scheduled or date.min, fields.Date.context_today(self))
            return shipping_day + timedelta(days=self.carrier_id.transit_days)
        if self.picking_type_code != "outgoing":
            return False
        if self.sale_id.commitment_date:
            return fields.Date.context_today(self, self.sale_id.commitment_date)
        return scheduled

    def _check_shippable(self):
        problems = self._get_shipping_problems()
        if problems:
            raise UserError(
                self.env._(
                    "The delivery cannot be shipped yet:\n%(problems)s",
                    problems="\n".join(f"- {p}" for p in problems),
                )
            )

    def _get_shipping_problems(self):
        """What stops the procedure's outgoing deliveries from being shipped."""
        problems = []
        # Packing Check Required switches the shipping checks on: the packing
        # check, and a carrier's tracking number and expected date.
        for picking in self.filtered("shipping_checks_required"):
            if not picking.packing_checked:
                problems.append(
                    self.env._(
                        "%(picking)s: the packed contents have not been checked "
                        "against the order (Mark as Packed).",
                        picking=picking.name,
                    )
                )
            if picking.carrier_id:
                problems += picking._get_carrier_problems()
        return problems

    def _get_carrier_problems(self):
        self.ensure_one()
        problems = []
        carrier = self.carrier_id
        # Carriers shipping through their own API give the tracking number
        # on validation.
        ships_by_api = (
            carrier.delivery_type not in ("fixed", "base_on_rule")
            and carrier.integration_level == "rate_and_ship"
        )
        if not self.carrier_tracking_ref and not ships_by_api:
            problems.append(
                self.env._(
                    "%(picking)s: %(carrier)s needs a tracking number.",
                    picking=self.name,
                    carrier=carrier.name,
                )
            )
        if not self.expected_delivery_date:
            problems.append(
                self.env._(
                    "%(picking)s: the expected delivery date is missing.",
                    picking=self.name,
                )
            )
        return problems

    def _on_validated(self):
        """The transfers were just validated: the customer hears of shipped
        deliveries, and return requests follow their transfers."""
        if not self:
            return
        self.filtered("shipping_checks_required")._queue_shipping_notices()
        # sudo: the request follows its transfers, whoever validates them.
        # One search for both kinds of transfers a request follows.
        requests = (
            self.env["order.return.request"]
            .sudo()
            .search(
                [
                    "|",
                    ("return_picking_id", "in", self.ids),
                    ("exchange_picking_id", "in", self.ids),
                ]
            )
        )
        requests.filtered(lambda r: r.return_picking_id in self)._on_return_received()
        requests.filtered(
            lambda r: r.exchange_picking_id in self and r.state == "received"
        ).write({"state": "done"})

    def _queue_shipping_notices(self):
        """The customer learns the carrier, the tracking link and when to
        expect the goods: the e-mail is queued on the deliveries and sent, in
        batches, by the scheduled action (within minutes), not rendered while
        the clerk waits. A company that sends Odoo's own delivery
        confirmation (Inventory > Settings > Email Confirmation) tells the
        customer with it: no second e-mail."""
        self.filtered(
            lambda p: not p.company_id.stock_move_email_validation
        )._write_procedure_facts({"shipping_notice_pending": True})

    @api.model
    def _cron_send_shipping_notices(self, batch_size=200):
        """Send the queued shipping e-mails: one mass rendering of the
        template per batch, as Odoo's mass mailing does, the e-mails left to
        Odoo's mail queue. Run by the scheduler, each batch is committed with
        the progress. Returns the number of e-mails queued."""
        domain = [("shipping_notice_pending", "=", True)]
        total = self.search_count(domain) if in_scheduled_run(self.env) else 0
        template = self.env.ref("order_mgmt_procedure.mail_template_delivery_shipped")
        sent = 0
        while True:
            pickings = self.search(domain, order="id", limit=batch_size)
            if not pickings:
                break
            # The e-mails are kept on the deliveries' chatter once sent.
            pickings.message_mail_with_source(template, force_send=False)
            pickings._write_procedure_facts({"shipping_notice_pending": False})
            sent += len(pickings)
            last = len(pickings) < batch_size
            remaining = 0 if last else max(total - sent, 0)
            if not commit_batch(self.env, len(pickings), remaining) or last:
                break
            pickings.invalidate_recordset()
        if sent:
            # Odoo's mail queue sends them now rather than at its next run.
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        return sent

    # === BUSINESS METHODS: RETURN === #

    def _create_customer_return(self, quantities=None, vals=None):
        """Bring this done delivery's goods back through Odoo's own returns
        wizard; used by the approval of a return request and by a
        cancellation after shipment. Returns the new return transfer.

        ``quantities``: product -> quantity to take back, spread over the
        delivery's moves of that product, at most what each move delivered;
        by default everything it delivered. ``vals``: written on the return.
        """
        self.ensure_one()
        # sudo: receiving returns is Inventory work that the procedure orders
        # (a manager's approval or post-shipment cancellation); the delivery
        # is one of the order's own.
        wizard = (
            self.env["stock.return.picking"]
            .sudo()
            .with_context(active_id=self.id, active_model="stock.picking")
            .create({})
        )
        remaining = dict(quantities or {})
        for line in wizard.product_return_moves:
            quantity = line.move_id.quantity
            if quantities is not None:
                quantity = min(remaining.get(line.product_id, 0.0), quantity)
                remaining[line.product_id] = (
                    remaining.get(line.product_id, 0.0) - quantity
                )
            line.quantity = quantity
        returned = self.browse(wizard.action_create_returns()["res_id"])
        if vals:
            returned.sudo().write(vals)
        return returned

    def _track_finalize(self):
        # The tracking of the procedure's scheduled actions (the reservation
        # of the stock check) in the company's language.
        for pickings in self._iter_tracking_by_procedure_lang():
            super(StockPicking, pickings)._track_finalize()
        return None
