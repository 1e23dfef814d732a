from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .order_priority_rule import PRIORITIES

PROCEDURE_STAGES = [
    ("received", "Received"),
    ("in_review", "In Review"),
    ("returned", "Returned for Revision"),
    ("pending", "Pending Processing"),
    ("awaiting_replenishment", "Awaiting Replenishment"),
    ("awaiting_shipment", "Awaiting Shipment"),
    ("shipped", "Shipped"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
]

REVIEW_STATES = [
    ("draft", "Not Submitted"),
    ("to_review", "To Review"),
    ("returned", "Returned"),
    ("approved", "Approved"),
]

ORDER_CHANNELS = [
    ("website", "Website / App"),
    ("marketplace", "Marketplace"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("import", "Batch Import"),
    ("other", "Other"),
]

QUOTATION_STAGE_BY_REVIEW_STATE = {
    "to_review": "in_review",
    "returned": "returned",
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    order_channel = fields.Selection(
        ORDER_CHANNELS,
        string="Channel",
        required=True,
        default=lambda self: self._default_order_channel(),
        tracking=True,
        index=True,
        help="Where the order came from. Website and portal orders are "
        "'Website / App' and imported ones 'Batch Import' by themselves.",
    )
    received_date = fields.Datetime(
        string="Received On",
        required=True,
        default=fields.Datetime.now,
        copy=False,
        tracking=True,
        help="When the order was received; it cannot change once the order is "
        "submitted for review.",
    )
    is_rush = fields.Boolean(
        string="Rush Order",
        tracking=True,
        help="The customer asked for the order to be handled urgently.",
    )
    priority = fields.Selection(
        PRIORITIES,
        compute="_compute_priority",
        inverse="_inverse_priority",
        store=True,
        readonly=False,
        tracking=True,
        index=True,
        help="Computed from the priority rules (amount, customer grade, rush); "
        "reviewers may set it by hand. Urgent orders are reviewed, reserved and "
        "shipped first.",
    )
    priority_reason = fields.Char(
        compute="_compute_priority_reason",
        store=True,
        help="The rules that made the order urgent, or that it was set by hand.",
    )
    priority_manual = fields.Selection(
        PRIORITIES,
        string="Priority Set by Hand",
        copy=False,
        help="Set when a reviewer overrode the computed priority.",
    )
    can_override_priority = fields.Boolean(compute="_compute_can_override_priority")
    review_state = fields.Selection(
        REVIEW_STATES,
        string="Review Status",
        default="draft",
        required=True,
        copy=False,
        tracking=True,
        index=True,
        help="Where the quotation stands in the order review.",
    )
    completed_date = fields.Datetime(
        string="Completed On",
        copy=False,
        readonly=True,
        tracking=True,
        help="When the customer signed for the goods; the after-sales window "
        "starts here.",
    )
    procedure_stage = fields.Selection(
        PROCEDURE_STAGES,
        compute="_compute_procedure_stage",
        store=True,
        tracking=True,
        index=True,
        copy=False,
        group_expand=True,
        help="Stage of the order in the order-management procedure, derived from "
        "its review, its confirmation and its deliveries.",
    )

    @api.model
    def _default_order_channel(self):
        # Website and portal orders are created for customers and visitors
        # (share users), under sudo by the shop controllers.
        if self.env.context.get("website_id") or self.env.user.share:
            return "website"
        return "phone"

    @api.depends(
        "amount_total",
        "currency_id",
        "date_order",
        "company_id",
        "is_rush",
        "partner_id.category_id",
        "partner_id.commercial_partner_id.category_id",
        "priority_manual",
    )
    def _compute_priority(self):
        rules = self._get_priority_rules()
        for order in self:
            order.priority = order.priority_manual or order._get_rule_priority(rules)[0]

    # Not computed with the priority: a reviewer writing the priority must
    # still see the reason follow.
    @api.depends(
        "amount_total",
        "currency_id",
        "date_order",
        "company_id",
        "is_rush",
        "partner_id.category_id",
        "partner_id.commercial_partner_id.category_id",
        "priority_manual",
    )
    def _compute_priority_reason(self):
        rules = self._get_priority_rules()
        for order in self:
            if order.priority_manual:
                order.priority_reason = self.env._("Set by hand")
            else:
                order.priority_reason = ", ".join(order._get_rule_priority(rules)[1])

    def _inverse_priority(self):
        rules = self._get_priority_rules()
        for order in self:
            rule_priority, __ = order._get_rule_priority(rules)
            manual = order.priority if order.priority != rule_priority else False
            if manual == order.priority_manual:
                continue
            if not order.can_override_priority:
                raise AccessError(
                    self.env._(
                        "Only order reviewers may change the priority of %(order)s.",
                        order=order.display_name,
                    )
                )
            order.priority_manual = manual

    def _get_priority_rules(self):
        """The active priority rules that apply to the orders' companies."""
        companies = self.company_id or self.env.company
        return self.env["order.priority.rule"].search(
            [("company_id", "in", [False, *companies.ids])]
        )

    def _get_rule_priority(self, rules):
        """The highest priority among the matching ``rules`` and their names."""
        self.ensure_one()
        company = self.company_id or self.env.company
        amount = self.currency_id._convert(
            self.amount_total,
            company.currency_id,
            company,
            self.date_order or fields.Date.context_today(self),
        )
        grades = (
            self.partner_id.category_id
            | self.partner_id.commercial_partner_id.category_id
        )
        matched = rules.filtered(lambda rule: rule._matches(self, amount, grades))
        if not matched:
            return "0", []
        highest = max(matched.mapped("priority"))
        return highest, matched.filtered(lambda r: r.priority == highest).mapped("name")

    @api.depends_context("uid")
    def _compute_can_override_priority(self):
        allowed = self.env.su or self.env.user.has_group(
            "order_mgmt_procedure.group_order_reviewer"
        )
        self.can_override_priority = allowed

    @api.constrains("received_date")
    def _check_received_date(self):
        latest = fields.Datetime.add(fields.Datetime.now(), minutes=5)
        for order in self:
            if order.received_date and order.received_date > latest:
                raise ValidationError(
                    self.env._(
                        "The receiving time of %(order)s cannot be in the future.",
                        order=order.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("website_id") and "order_channel" not in vals:
                vals["order_channel"] = "website"
        return super().create(vals_list)

    def write(self, vals):
        if "received_date" in vals:
            submitted = self.filtered(
                lambda o: o.review_state != "draft" or o.state not in ("draft", "sent")
            )
            if submitted:
                raise UserError(
                    self.env._(
                        "The receiving time cannot change once the order is "
                        "submitted for review: %(orders)s.",
                        orders=", ".join(submitted.mapped("display_name")),
                    )
                )
        with self._syncing_delivery_priority():
            return super().write(vals)

    @contextmanager
    def _syncing_delivery_priority(self):
        """Open deliveries follow the priority the order has after the block."""
        previous = {order.id: order.priority for order in self if order.id}
        yield
        changed = self.filtered(
            lambda o: o.id in previous and o.priority != previous[o.id]
        )
        changed._sync_delivery_priority()

    def _sync_delivery_priority(self):
        # sudo: following the order's priority is part of the change its author
        # made, and receivers have no right to write transfers.
        pickings = self.sudo().picking_ids.filtered(
            lambda p: (
                p.state not in ("done", "cancel") and p.priority != p.sale_id.priority
            )
        )
        for priority in {picking.sale_id.priority for picking in pickings}:
            pickings.filtered(
                lambda p, prio=priority: p.sale_id.priority == prio
            ).write({"priority": priority})

    def action_submit_review(self):
        """Receivers hand a complete, well-formed quotation to the reviewers."""
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            raise AccessError(
                self.env._("Only order receivers may submit orders for review.")
            )
        not_submittable = self.filtered(
            lambda o: (
                o.state not in ("draft", "sent")
                or o.review_state not in ("draft", "returned")
            )
        )
        if not_submittable:
            raise UserError(
                self.env._(
                    "Only quotations that are new or returned for revision can be "
                    "submitted for review: %(orders)s.",
                    orders=", ".join(not_submittable.mapped("display_name")),
                )
            )
        problems, warnings = self._run_intake_checks()
        if problems:
            raise UserError(
                "\n\n".join(
                    self.env._(
                        "%(order)s cannot be submitted for review:\n%(problems)s",
                        order=order.display_name,
                        problems="\n".join(f"- {p}" for p in order_problems),
                    )
                    for order, order_problems in problems.items()
                )
            )
        self.write({"review_state": "to_review"})
        for order, order_warnings in warnings.items():
            order.message_post(
                body=self.env._(
                    "Submitted for review with warnings: %(warnings)s",
                    warnings="; ".join(order_warnings),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _run_intake_checks(self):
        """Blocking problems and warnings of the intake rules, by order."""
        rules = self.env["order.review.rule"].search([("phase", "=", "intake")])
        problems, warnings = {}, {}
        for order in self:
            for rule in rules.filtered(
                lambda r, o=order: not r.company_id or r.company_id == o.company_id
            ):
                # sudo: a receiver may not read every record a rule looks at
                # (a delivery contact of another salesperson's customer).
                found = rule.sudo()._evaluate(order.sudo())
                if found:
                    target = problems if rule.blocking else warnings
                    target.setdefault(order, []).extend(found)
        return problems, warnings

    @api.depends(
        "state",
        "review_state",
        "completed_date",
        "picking_ids.state",
        "picking_ids.move_ids.state",
    )
    def _compute_procedure_stage(self):
        # Read every order's pickings, moves and locations in a few batched
        # queries rather than order by order.
        self.picking_ids.move_ids.location_id.mapped("usage")
        for order in self:
            order.procedure_stage = order._get_procedure_stage()

    def _get_procedure_stage(self):
        self.ensure_one()
        if self.state == "cancel":
            return "cancelled"
        if self.completed_date:
            return "completed"
        if self.state != "sale":
            return QUOTATION_STAGE_BY_REVIEW_STATE.get(self.review_state, "received")
        # Returns coming back from the customer are no part of getting goods out.
        # Multi-step deliveries start with internal pickings (pick, pack): the
        # outgoing one is only created when the goods reach the output.
        fulfilment = self.picking_ids.filtered(
            lambda p: p.state != "cancel" and p.picking_type_code != "incoming"
        )
        if not fulfilment:
            return "pending"
        open_pickings = fulfilment.filtered(lambda p: p.state != "done")
        if not open_pickings:
            shipped = any(p.picking_type_code == "outgoing" for p in fulfilment)
            return "shipped" if shipped else "awaiting_shipment"
        open_moves = open_pickings.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel")
        )
        if any(move.state == "draft" for move in open_moves):
            return "pending"
        readiness = {}
        if all(self._is_move_ready(move, readiness) for move in open_moves):
            return "awaiting_shipment"
        return "awaiting_replenishment"

    @api.model
    def _is_move_ready(self, move, readiness):
        """Whether the goods of ``move`` are in hand: reserved from our own stock,
        or waiting only on earlier steps (pick, pack) whose goods are in hand.
        A step waiting on a receipt or a manufacturing order is not ready."""
        if move.id in readiness:
            return readiness[move.id]
        readiness[move.id] = False  # guards against cyclic chains
        if move.state == "done":
            ready = True
        elif move.state == "assigned":
            ready = move.location_id.usage == "internal"
        elif move.state == "waiting":
            origins = move.move_orig_ids.filtered(lambda m: m.state != "cancel")
            ready = bool(origins) and all(
                self._is_move_ready(origin, readiness) for origin in origins
            )
        else:
            ready = False
        readiness[move.id] = ready
        return ready
