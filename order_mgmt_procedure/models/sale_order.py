"""The procedure's spine on sale.order: the stage every order is in, derived
from the other steps, and the only create/write of the addon's sale.order."""

from odoo import api, fields, models
from odoo.tools import sql

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

QUOTATION_STAGE_BY_REVIEW_STATE = {
    "to_review": "in_review",
    "returned": "returned",
}


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "order.procedure.facts.mixin"]

    # === FIELDS === #

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
    stage_history_ids = fields.One2many(
        "sale.order.stage.history",
        "order_id",
        string="Stage Timeline",
        readonly=True,
        copy=False,
        groups="order_mgmt_procedure.group_order_receiver",
        help="Every stage the order went through: from, to and how long.",
    )

    # === COMPUTE METHODS === #

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

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._complete_reception_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        # Each step refuses what it does not allow before anything is written;
        # the procedure's facts are guarded by order.procedure.facts.mixin.
        self._check_received_date_write(vals)
        with self._syncing_delivery_priority():
            result = super().write(vals)
        if self._get_review_trigger_fields().intersection(vals):
            self._refresh_review_lines()
        return result

    def _write_multi(self, vals_list):
        # The stage is a stored compute: the flush that stores a new stage is
        # where its history is written, whatever made it change.
        new_stages = {
            order.id: vals["procedure_stage"]
            for order, vals in zip(self, vals_list, strict=True)
            if "procedure_stage" in vals
        }
        if not new_stages or not self._stage_history_ready():
            super()._write_multi(vals_list)
            return
        History = self.env["sale.order.stage.history"]
        current = History._read_current_stages(new_stages)
        super()._write_multi(vals_list)
        History._log_stage_changes(new_stages, current)

    # === BUSINESS METHODS === #

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

    def _stage_history_ready(self):
        """False while the module installs and the history table is not
        made yet; the orders staged meanwhile get their history rebuilt."""
        return self.pool.ready or sql.table_exists(
            self.env.cr, "sale_order_stage_history"
        )

    def _get_done_deliveries(self):
        """The orders' customer deliveries that have left the warehouse."""
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )

    def _get_last_done_delivery(self):
        """The order's latest delivery done: what a return sends back."""
        return self._get_done_deliveries().sorted("date_done")[-1:]

    def _get_posted_invoices(self):
        """The orders' posted customer invoices: what a refund may reverse."""
        return self.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )

    def _is_delivered(self):
        """Whether the goods have left for the customer (shipped or signed)."""
        self.ensure_one()
        return self.procedure_stage in ("shipped", "completed")

    def _open_order_wizard(self, model, title):
        """The dialog of ``model`` for this order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }
