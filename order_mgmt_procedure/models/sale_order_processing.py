"""Processing (stages Pending Processing and Awaiting Replenishment): fulfilment
type, stock check after confirmation, shortages and urgent-first replenishment."""

import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import format_date

from ..tools.cron import (
    commit_batch,
    in_scheduled_run,
    read_parameter,
    run_backlog,
    write_parameter,
)
from ..tools.text import join_items

# Where the scheduled stock check stopped, committed with each batch (in SQL,
# see tools/cron.py).
CHECK_STOCK_POSITION_KEY = "order_mgmt_procedure.check_stock_position"
# What the pass asked for (product and stock location), kept the same way.
CHECK_STOCK_REPLENISHED_KEY = "order_mgmt_procedure.check_stock_replenished"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # What the stock re-check reads, batch after batch from its position: the
    # orders waiting, in id order, not every order ever made.
    _awaiting_replenishment_idx = models.Index(
        "(id) WHERE procedure_stage = 'awaiting_replenishment'"
    )

    # === FIELDS === #

    fulfillment_type = fields.Selection(
        [("stock", "From Stock"), ("custom", "Made to Order")],
        default="stock",
        required=True,
        tracking=True,
        help="From Stock: the goods are taken from the warehouse and go straight "
        "to packing. Made to Order: each line triggers its own purchase or "
        "manufacturing (make-to-order route).",
    )
    # compute_sudo: what an order waits for is read from Inventory and
    # Purchase, which salespeople may not read themselves.
    shortage_count = fields.Integer(compute="_compute_shortages", compute_sudo=True)
    shortage_html = fields.Html(
        string="Shortages",
        compute="_compute_shortages",
        compute_sudo=True,
        sanitize=False,
    )
    replenishment_purchase_ids = fields.Many2many(
        "purchase.order",
        string="Replenishment RFQs",
        compute="_compute_shortages",
        compute_sudo=True,
        groups="purchase.group_purchase_user,stock.group_stock_user",
        help="Requests for quotation replenishing the products this order lacks.",
    )
    can_check_stock = fields.Boolean(
        compute="_compute_can_check_stock", export_string_translation=False
    )

    # === COMPUTE METHODS === #

    @api.depends("state", "picking_ids.move_ids.state")
    def _compute_shortages(self):
        moves = self._get_short_moves()
        orderpoints = self._get_replenishment_orderpoints(moves)
        purchase_lines = (
            self.env["purchase.order.line"]
            .sudo()
            .search(
                [
                    ("orderpoint_id", "in", [op.id for op in orderpoints.values()]),
                    ("state", "!=", "cancel"),
                ]
            )
            if orderpoints
            else self.env["purchase.order.line"]
        )
        today = fields.Date.context_today(self)
        for order in self:
            rows = []
            purchases = self.env["purchase.order"]
            for move in moves.filtered(lambda m, o=order: m.picking_id.sale_id == o):
                missing = move.product_uom_qty - move.quantity
                orderpoint = orderpoints.get(
                    (move.product_id, move.location_id.warehouse_id.lot_stock_id)
                )
                lines = purchase_lines.filtered(
                    lambda ln, op=orderpoint: op and ln.orderpoint_id == op
                )
                purchases |= lines.order_id
                expected = min(lines.mapped("date_planned"), default=False) or (
                    fields.Date.add(today, days=orderpoint.lead_days)
                    if orderpoint
                    else False
                )
                rows.append((move, missing, expected, lines.order_id))
            order.shortage_count = len(rows)
            order.replenishment_purchase_ids = purchases
            order.shortage_html = order._render_shortages(rows) if rows else False

    @api.depends("procedure_stage")
    @api.depends_context("uid")
    def _compute_can_check_stock(self):
        is_staff = self.env.user.has_group("order_mgmt_procedure.group_order_receiver")
        for order in self:
            order.can_check_stock = is_staff and order._is_waiting_for_stock()

    # === ACTION METHODS === #

    def action_view_replenishment_purchases(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Replenishment RFQs"),
            "res_model": "purchase.order",
            "view_mode": "list,form",
            "domain": [("id", "in", self.replenishment_purchase_ids.ids)],
        }

    def action_check_stock(self):
        """Check Stock: order staff and warehouse staff check again."""
        user = self.env.user
        if not (
            self.env.su
            or user.has_group("order_mgmt_procedure.group_order_receiver")
            or user.has_group("stock.group_stock_user")
        ):
            raise AccessError(
                self.env._("Only order or warehouse staff may check the stock.")
            )
        return self._check_stock()

    def _check_stock(self, replenished=None):
        """Reserve what the warehouse has, urgent orders first, and ask
        purchasing for the rest through Odoo's replenishment (after the
        confirmation, whoever confirms, and by the scheduled action).
        ``replenished``: see _request_replenishment."""
        orders = self.filtered(lambda o: o.state == "sale")
        # sudo: reserving and replenishing are Inventory and Purchase work done
        # on behalf of the order, whoever asks for the check.
        moves = orders.sudo()._get_short_moves()
        to_assign = self.env["stock.move"]
        for warehouse in moves.location_id.warehouse_id:
            warehouse_moves = moves.filtered(
                lambda m, w=warehouse: m.location_id.warehouse_id == w
            )
            # Only products with free stock are worth a reservation attempt;
            # free quantities are read for every product at once.
            in_stock = self._get_products_with_free_stock(
                warehouse_moves.product_id, warehouse
            )
            to_assign |= warehouse_moves.filtered(
                lambda m, available=in_stock: m.product_id in available
            )
        if to_assign:
            to_assign.sorted(
                lambda m: (-int(m.picking_id.priority or 0), m.date, m.id)
            )._action_assign()
        orders.sudo()._request_replenishment(replenished)
        return True

    @api.model
    def _get_products_with_free_stock(self, products, warehouse):
        """The ``products`` with free stock in ``warehouse`` (Odoo's free
        quantity, see _get_free_quantities)."""
        free = self._get_free_quantities(products, warehouse)
        return products.filtered(lambda p: free[p.id] > 0)

    @api.model
    def _get_free_quantities(self, products, warehouse):
        """``{product id: free quantity}`` of ``products`` in ``warehouse``:
        Odoo's free quantity (on hand less reserved, rounded to the unit),
        read from the quants only, in one query. Odoo's free_qty is computed
        with the forecast, which sums every open move of the products, as
        many as the orders waiting for them."""
        products = products.with_context(warehouse_id=warehouse.id)
        quant_domain = products._get_domain_locations()[0]
        groups = (
            self.env["stock.quant"]
            .with_context(active_test=False)
            ._read_group(
                Domain("product_id", "in", products.ids) & Domain(quant_domain),
                ["product_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        free = dict.fromkeys(products.ids, 0.0)
        for product, quantity, reserved in groups:
            free[product.id] = product.uom_id.round(quantity - reserved)
        return free

    # === BUSINESS METHODS === #

    def _action_confirm(self):
        result = super()._action_confirm()
        # Right after the confirmation: reserve, or ask for the goods missing;
        # Odoo's own reservation and replenishment where the procedure is off.
        self.filtered("review_required")._check_stock()
        return result

    def _is_waiting_for_stock(self):
        self.ensure_one()
        return self.procedure_stage in ("pending", "awaiting_replenishment")

    def _get_short_moves(self):
        """Open moves of the orders taking goods from stock and not fully
        reserved; made-to-order moves wait for their own supply."""
        return self.picking_ids.filtered(
            lambda p: (
                p.state not in ("done", "cancel", "draft")
                and p.picking_type_code != "incoming"
            )
        ).move_ids.filtered(
            lambda m: (
                m.state in ("confirmed", "partially_available")
                and m.procure_method == "make_to_stock"
                and m.product_id.is_storable
            )
        )

    def _get_replenishment_orderpoints(self, moves):
        """The orderpoints of the products ``moves`` lack, by (product,
        location), found in one search."""
        if not moves:
            return {}
        # sudo: orderpoints are Inventory configuration; reading them is part
        # of showing a salesperson what their order waits for.
        orderpoints = (
            self.env["stock.warehouse.orderpoint"]
            .sudo()
            .search(
                [
                    ("product_id", "in", moves.product_id.ids),
                    (
                        "location_id",
                        "in",
                        moves.location_id.warehouse_id.lot_stock_id.ids,
                    ),
                ]
            )
        )
        return {(op.product_id, op.location_id): op for op in orderpoints}

    def _render_shortages(self, rows):
        cells = []
        for move, missing, expected, purchases in rows:
            cells.append(
                Markup(
                    "<tr><td>%s</td><td class='text-end'>%s %s</td><td>%s</td>"
                    "<td>%s</td></tr>"
                )
                % (
                    move.product_id.display_name,
                    f"{missing:g}",
                    move.product_uom.name,
                    format_date(self.env, expected) if expected else "",
                    join_items(self.env, purchases.mapped("name"))
                    or self.env._("No request yet: see Inventory > Replenishment"),
                )
            )
        head = Markup(
            "<table class='table table-sm o_shortage_table'><thead><tr>"
            "<th>%s</th><th class='text-end'>%s</th><th>%s</th><th>%s</th>"
            "</tr></thead><tbody>"
        ) % (
            self.env._("Product"),
            self.env._("Missing"),
            self.env._("Expected"),
            self.env._("Replenishment"),
        )
        return head + Markup("").join(cells) + Markup("</tbody></table>")

    def _request_replenishment(self, replenished=None):
        """One request per short product and warehouse, through its orderpoint
        (made when missing, as Inventory > Replenishment does), for what the
        forecast lacks: running it again asks for nothing more.

        ``replenished``: a set of (product id, stock location id) already
        asked for in this pass of the scheduled action, left out and
        completed: the forecast of their first batch counted the orders of
        the later ones, and it is not summed again at each batch."""
        moves = self._get_short_moves()
        if replenished is not None:
            moves = moves.filtered(
                lambda m: (
                    (m.product_id.id, m.location_id.warehouse_id.lot_stock_id.id)
                    not in replenished
                )
            )
            replenished.update(
                (m.product_id.id, m.location_id.warehouse_id.lot_stock_id.id)
                for m in moves
            )
        if not moves:
            return
        orderpoints = self._get_replenishment_orderpoints(moves)
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        locations = {
            (m.product_id, m.location_id.warehouse_id.lot_stock_id) for m in moves
        } - set(orderpoints)
        new_orderpoints = Orderpoint.create(
            self._prepare_replenishment_orderpoint_vals(
                sorted(locations, key=lambda pl: (pl[0].id, pl[1].id))
            )
        )
        for orderpoint in new_orderpoints:
            orderpoints[(orderpoint.product_id, orderpoint.location_id)] = orderpoint
        needed = Orderpoint.concat(*orderpoints.values())
        # The forecast changed with the orders: recompute what to order.
        self.env.add_to_compute(Orderpoint._fields["qty_to_order_computed"], needed)
        needed = needed.filtered(
            lambda op: op.product_uom.compare(op.qty_to_order, 0.0) > 0
        )
        if needed:
            self._procure_urgent_first(moves, orderpoints, needed)

    @api.model
    def _prepare_replenishment_orderpoint_vals(self, product_locations):
        """Values of the manual orderpoints made for short products that have
        none, one per (product, stock location) of ``product_locations``
        (stock check after confirmation, and its scheduled action)."""
        return [
            {
                "product_id": product.id,
                "location_id": location.id,
                "warehouse_id": location.warehouse_id.id,
                "company_id": location.company_id.id,
                "trigger": "manual",
                "product_min_qty": 0.0,
                "product_max_qty": 0.0,
            }
            for product, location in product_locations
        ]

    def _procure_urgent_first(self, moves, orderpoints, needed):
        """Run the ``needed`` orderpoints, urgent orders' products first, and
        star the RFQs that serve an urgent order."""
        urgent = set()
        origins = {}
        for move in moves:
            op = orderpoints[
                (move.product_id, move.location_id.warehouse_id.lot_stock_id)
            ]
            origins.setdefault(op.id, set()).update(
                move.picking_id.sale_id.stock_reference_ids.ids
            )
            if move.picking_id.sale_id.priority == "1":
                urgent.add(op.id)
        needed = needed.sorted(lambda op: (op.id not in urgent, op.id))
        for company in needed.company_id:
            needed.filtered(lambda op, c=company: op.company_id == c).with_context(
                origins={op_id: list(refs) for op_id, refs in origins.items()},
                urgent_orderpoint_ids=urgent,
                order_procedure_replenishment=True,
            )._procure_orderpoint_confirm(company_id=company, raise_user_error=False)
        if urgent:
            # An RFQ that also serves an urgent order is starred, even when the
            # request joined an existing one.
            rfqs = (
                self.env["purchase.order.line"]
                .search(
                    [
                        ("orderpoint_id", "in", list(urgent)),
                        ("state", "in", ("draft", "sent")),
                    ]
                )
                .order_id
            )
            rfqs.filtered(lambda po: po.priority != "1").write({"priority": "1"})

    def _track_finalize(self):
        # The tracking of scheduled actions in the company's language.
        for orders in self._iter_tracking_by_procedure_lang():
            super(SaleOrder, orders)._track_finalize()
        return None

    @api.model
    def _cron_check_stock(self, batch_size=100):
        """Scheduled: orders still short get their reservation and
        replenishment checked again, in batches in id order. Orders still
        short stay in the stage: run by the scheduler, each batch is
        committed with the position it reached and the products it asked
        for, so that a run whose time is up resumes after it, a pass checks
        each order once and asks for a product once."""
        domain = [
            ("procedure_stage", "=", "awaiting_replenishment"),
            ("company_id.order_review_required", "=", True),
        ]
        scheduled = in_scheduled_run(self.env)
        position = self._get_check_stock_position() if scheduled else 0
        # What this pass asked for already, product by warehouse: kept with
        # the position, or the first batch of each run would sum again every
        # open move of its products.
        replenished = self._get_check_stock_replenished() if position else set()
        # How many the parameter holds (unknown at the start of a pass).
        kept = len(replenished) if position else -1
        # The progress: the backlog counted once, not at each run.
        total = run_backlog(
            self.env, lambda: self.search_count([*domain, ("id", ">", position)])
        )
        checked = 0
        while True:
            orders = self.search(
                [*domain, ("id", ">", position)], order="id", limit=batch_size
            )
            last = len(orders) < batch_size
            if orders:
                position = orders[-1].id
                # A scheduled action: the stage changes it records are worded
                # in each company's language.
                orders._track_in_procedure_lang()
                orders._check_stock(replenished)
                # The stage changes computed and tracked now, by the action.
                self.env.flush_all()
                checked += len(orders)
            if scheduled:
                # The pass over: the next run starts a new one from the start.
                self._set_check_stock_position(0 if last else position)
                to_keep = set() if last else replenished
                if len(to_keep) != kept:
                    self._set_check_stock_replenished(to_keep)
                    kept = len(to_keep)
            remaining = 0 if last else max(total - checked, 0)
            if not commit_batch(self.env, len(orders), remaining) or last:
                return True
            orders.invalidate_recordset()

    def _get_check_stock_position(self):
        value = read_parameter(self.env, CHECK_STOCK_POSITION_KEY)
        return int(value) if value and value.isdigit() else 0

    def _set_check_stock_position(self, position):
        write_parameter(self.env, CHECK_STOCK_POSITION_KEY, position)

    def _get_check_stock_replenished(self):
        """The (product id, stock location id) the current pass asked for."""
        try:
            pairs = json.loads(read_parameter(self.env, CHECK_STOCK_REPLENISHED_KEY))
        except (TypeError, ValueError):
            return set()
        if not isinstance(pairs, list):
            return set()
        return {
            (int(pair[0]), int(pair[1]))
            for pair in pairs
            if isinstance(pair, list) and len(pair) == 2
        }

    def _set_check_stock_replenished(self, replenished):
        write_parameter(
            self.env,
            CHECK_STOCK_REPLENISHED_KEY,
            json.dumps(sorted(replenished), separators=(",", ":")),
        )
