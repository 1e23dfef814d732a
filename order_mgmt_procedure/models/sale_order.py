from odoo import api, fields, models

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

QUOTATION_STAGE_BY_REVIEW_STATE = {
    "to_review": "in_review",
    "returned": "returned",
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

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
