from contextlib import contextmanager

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_date, sql

from .order_cancel_refund_rule import LOGISTICS_STAGES
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

# What the priority rules look at.
PRIORITY_DEPENDENCIES = (
    "amount_total",
    "currency_id",
    "date_order",
    "company_id",
    "is_rush",
    "partner_id.category_id",
    "partner_id.commercial_partner_id.category_id",
    "priority_manual",
)

# Changes to these make the automatic review checks run again.
REVIEWED_ORDER_FIELDS = {
    "partner_id",
    "partner_shipping_id",
    "order_line",
    "payment_term_id",
    "preferred_payment_method_line_id",
    "pricelist_id",
    "warehouse_id",
}

QUOTATION_STAGE_BY_REVIEW_STATE = {
    "to_review": "in_review",
    "returned": "returned",
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # What the window-closing scheduled action searches: only the orders still
    # open, not every order ever completed.
    _after_sales_open_idx = models.Index(
        "(after_sales_deadline) WHERE after_sales_closed IS NOT TRUE"
    )

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
    customer_note = fields.Text(
        help="What the customer asked for with the order (for example the note "
        "column of an imported file). Not printed on the quotation.",
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
    # Not stored: the rule names read in the reader's language.
    priority_reason = fields.Char(
        compute="_compute_priority_reason",
        help="The rules that made the order urgent, or that it was set by hand.",
    )
    priority_manual = fields.Selection(
        PRIORITIES,
        string="Priority Set by Hand",
        copy=False,
        help="Set when a reviewer overrode the computed priority.",
    )
    can_override_priority = fields.Boolean(compute="_compute_can_override_priority")
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
    review_line_ids = fields.One2many(
        "sale.order.review.line", "order_id", string="Review Checklist", copy=False
    )
    review_blocking_count = fields.Integer(
        compute="_compute_review_blocking_count",
        help="Blocking checklist items not passed yet.",
    )
    review_user_id = fields.Many2one(
        "res.users", string="Approved By", copy=False, readonly=True, tracking=True
    )
    review_date = fields.Datetime(string="Approved On", copy=False, readonly=True)
    review_return_reason = fields.Text(
        string="Reason for Revision", copy=False, readonly=True, tracking=True
    )
    review_required = fields.Boolean(related="company_id.order_review_required")
    can_submit_review = fields.Boolean(compute="_compute_review_buttons")
    can_review = fields.Boolean(compute="_compute_review_buttons")
    logistics_event_ids = fields.One2many(
        "stock.picking.logistics.event", "sale_id", string="Logistics Events"
    )
    logistics_exception = fields.Boolean(
        compute="_compute_logistics_exception",
        store=True,
        index=True,
        help="A delivery of the order has an open delay, loss or damage.",
    )
    can_sign_off = fields.Boolean(compute="_compute_can_sign_off")
    refund_move_ids = fields.One2many(
        "account.move",
        "procedure_refund_order_id",
        string="Procedure Refunds",
        help="Credit notes created by cancelling the order.",
    )
    return_request_ids = fields.One2many(
        "order.return.request", "order_id", string="Returns and Exchanges"
    )
    return_request_count = fields.Integer(compute="_compute_return_request_count")
    after_sales_deadline = fields.Date(
        compute="_compute_after_sales_deadline",
        store=True,
        index=True,
        help="Last day of after-sales support: the completion date plus the "
        "longest window of the order's products (category or company).",
    )
    after_sales_open = fields.Boolean(
        compute="_compute_after_sales_open",
        search="_search_after_sales_open",
        help="The order is completed and its after-sales window has not ended.",
    )
    after_sales_closed = fields.Boolean(
        copy=False,
        readonly=True,
        help="The scheduled action closed the after-sales window.",
    )
    rating_score = fields.Float(
        string="Customer Rating",
        compute="_compute_rating",
        store=True,
        aggregator="avg",
        help="The customer's rating of the order (1 dissatisfied to 5 satisfied).",
    )
    rating_comment = fields.Text(
        string="Customer Feedback", compute="_compute_rating", store=True
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

    stage_history_ids = fields.One2many(
        "sale.order.stage.history",
        "order_id",
        string="Stage Timeline",
        readonly=True,
        copy=False,
        groups="order_mgmt_procedure.group_order_receiver",
        help="Every stage the order went through: from, to and how long.",
    )
    cancel_logistics_stage = fields.Selection(
        LOGISTICS_STAGES,
        string="Cancelled When",
        copy=False,
        readonly=True,
        help="Where the goods were when the order was cancelled; it chose the "
        "refund rule.",
    )

    @api.depends("logistics_event_ids.is_exception", "logistics_event_ids.state")
    def _compute_logistics_exception(self):
        for order in self:
            order.logistics_exception = any(
                event.is_exception and event.state == "open"
                for event in order.logistics_event_ids
            )

    @api.depends("procedure_stage")
    @api.depends_context("uid")
    def _compute_can_sign_off(self):
        is_staff = self.env.user.has_group("order_mgmt_procedure.group_order_receiver")
        for order in self:
            order.can_sign_off = is_staff and order.procedure_stage == "shipped"

    @api.depends("return_request_ids")
    def _compute_return_request_count(self):
        for order in self:
            order.return_request_count = len(order.return_request_ids)

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

    def action_report_abnormal_receipt(self):
        """Damaged or wrong goods: opens the report with evidence."""
        self.ensure_one()
        if self.procedure_stage not in ("shipped", "completed"):
            raise UserError(
                self.env._(
                    "%(order)s has not been delivered: nothing to report yet.",
                    order=self.display_name,
                )
            )
        return self._open_order_wizard(
            "order.abnormal.receipt.wizard", self.env._("Report an Abnormal Receipt")
        )

    def action_new_return_request(self):
        """Staff open a return or exchange request for the order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Return or Exchange"),
            "res_model": "order.return.request",
            "view_mode": "form",
            "context": {
                "default_order_id": self.id,
                "default_line_ids": [
                    fields.Command.create(
                        {
                            "product_id": line.product_id.id,
                            "quantity": line.qty_delivered,
                        }
                    )
                    for line in self.order_line.filtered(
                        lambda ln: ln.qty_delivered > 0
                    )
                ],
            },
        }

    def action_view_return_requests(self):
        self.ensure_one()
        return self.env["order.return.request"]._get_list_action(
            [("order_id", "=", self.id)], {"default_order_id": self.id}
        )

    @api.depends(
        "completed_date",
        "company_id.after_sales_days",
        "order_line.product_id.categ_id.after_sales_days",
    )
    def _compute_after_sales_deadline(self):
        for order in self:
            if not order.completed_date:
                order.after_sales_deadline = False
                continue
            days = max(
                [
                    category.after_sales_days or order.company_id.after_sales_days
                    for category in order.order_line.product_id.categ_id
                ]
                or [order.company_id.after_sales_days]
            )
            order.after_sales_deadline = fields.Date.add(
                order.completed_date.date(), days=days
            )

    @api.depends("after_sales_deadline")
    def _compute_after_sales_open(self):
        today = fields.Date.context_today(self)
        for order in self:
            order.after_sales_open = bool(
                order.after_sales_deadline and order.after_sales_deadline >= today
            )

    def _search_after_sales_open(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the after-sales window."))
        today = fields.Date.context_today(self)
        domain_open = [("after_sales_deadline", ">=", today)]
        domain_closed = [
            "|",
            ("after_sales_deadline", "=", False),
            ("after_sales_deadline", "<", today),
        ]
        return domain_open if (operator == "=") == value else domain_closed

    @api.model
    def _cron_close_after_sales_windows(self, batch_size=500):
        """Note on each order whose after-sales window ended, in batches: a
        constant number of queries per batch."""
        today = fields.Date.context_today(self)
        closed = 0
        while True:
            orders = self.search(
                [
                    ("after_sales_deadline", "<", today),
                    ("after_sales_closed", "=", False),
                ],
                limit=batch_size,
            )
            if not orders:
                return closed
            orders.write({"after_sales_closed": True})
            orders._message_log_batch(
                bodies={
                    order.id: self.env._(
                        "After-sales window closed on %(date)s.",
                        date=format_date(self.env, order.after_sales_deadline),
                    )
                    for order in orders
                }
            )
            closed += len(orders)
            # Each batch is kept, and memory stays flat, whatever the backlog.
            orders.invalidate_recordset()

    @api.depends("rating_ids.rating", "rating_ids.feedback", "rating_ids.consumed")
    def _compute_rating(self):
        for order in self:
            rating = order.rating_ids.filtered("consumed").sorted("write_date")[-1:]
            order.rating_score = rating.rating
            order.rating_comment = rating.feedback

    def _get_done_deliveries(self):
        """The orders' customer deliveries that have left the warehouse."""
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )

    def _check_delivered(self):
        """Refuse orders whose goods have not reached the customer yet."""
        for order in self:
            if order.procedure_stage not in ("shipped", "completed"):
                raise UserError(
                    self.env._(
                        "%(order)s has not been delivered: nothing to report yet.",
                        order=order.display_name,
                    )
                )

    def _get_logistics_stage(self):
        """Where the goods are, from the deliveries and their events."""
        self.ensure_one()
        deliveries = self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state == "done"
        )
        if not deliveries:
            return "not_shipped"
        events = deliveries.logistics_event_ids.sorted(lambda e: (e.date, e.id))
        if self.completed_date or (events and events[-1].event_type == "delivered"):
            return "delivered"
        if events:
            return "in_transit"
        return "shipped"

    def _get_refundable_amount(self):
        """What the customer paid or was invoiced: posted invoices less the
        posted credit notes."""
        self.ensure_one()
        moves = self.invoice_ids.filtered(lambda m: m.state == "posted")
        invoiced = sum(
            moves.filtered(lambda m: m.move_type == "out_invoice").mapped(
                "amount_total"
            )
        )
        refunded = sum(
            moves.filtered(lambda m: m.move_type == "out_refund").mapped("amount_total")
        )
        return max(invoiced - refunded, 0.0)

    def action_request_cancel(self):
        """Cancel following the refund rules: quotations are cancelled as
        usual, orders go through the cancellation wizard."""
        self.ensure_one()
        if self.state in ("draft", "sent"):
            return self.action_cancel()
        if self.state == "cancel":
            raise UserError(
                self.env._("%(order)s is already cancelled.", order=self.display_name)
            )
        return self._open_order_wizard(
            "order.cancel.wizard", self.env._("Cancel Order")
        )

    def action_sign_off(self):
        """The customer received the goods: the order is completed and its
        after-sales window starts."""
        user = self.env.user
        for order in self:
            is_customer = (
                user.share
                and user.partner_id.commercial_partner_id
                == order.partner_id.commercial_partner_id
            )
            if not (
                is_customer
                or user.has_group("order_mgmt_procedure.group_order_receiver")
            ):
                raise AccessError(
                    self.env._(
                        "Only the customer or order staff may sign off %(order)s.",
                        order=order.display_name,
                    )
                )
        not_shipped = self.filtered(lambda o: o.procedure_stage != "shipped")
        if not_shipped:
            raise UserError(
                self.env._(
                    "Only shipped orders can be signed off: %(orders)s.",
                    orders=", ".join(not_shipped.mapped("display_name")),
                )
            )
        for order in self:
            order._sign_off(user.partner_id)
        return True

    def _sign_off(self, signer):
        """Record the receipt of the goods; callers check who may sign."""
        if self.procedure_stage != "shipped":
            raise UserError(
                self.env._(
                    "Only shipped orders can be signed off: %(orders)s.",
                    orders=self.display_name,
                )
            )
        # sudo: a customer signing off on the portal may not write orders.
        self.sudo().write({"completed_date": fields.Datetime.now()})
        self.sudo().message_post(
            body=self.env._(
                "Signed off by %(user)s: the goods were received.",
                user=signer.display_name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        # Feedback is asked at completion, with Odoo's rating pages.
        template = self.env.ref("order_mgmt_procedure.mail_template_order_rating")
        self.sudo().rating_send_request(template, force_send=False)

    @api.depends("review_line_ids.result", "review_line_ids.blocking")
    def _compute_review_blocking_count(self):
        for order in self:
            order.review_blocking_count = len(
                order.review_line_ids.filtered(
                    lambda line: line.blocking and line.result != "pass"
                )
            )

    @api.depends("state", "review_state")
    @api.depends_context("uid")
    def _compute_review_buttons(self):
        user = self.env.user
        is_receiver = user.has_group("order_mgmt_procedure.group_order_receiver")
        is_reviewer = user.has_group("order_mgmt_procedure.group_order_reviewer")
        for order in self:
            quotation = order.state in ("draft", "sent")
            order.can_submit_review = (
                is_receiver
                and quotation
                and order.review_state in ("draft", "returned")
            )
            order.can_review = is_reviewer and order.review_state == "to_review"

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
                    orderpoint.lead_days_date if orderpoint else False
                )
                rows.append((move, missing, expected, lines.order_id))
            order.shortage_count = len(rows)
            order.replenishment_purchase_ids = purchases
            order.shortage_html = order._render_shortages(rows) if rows else False

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
                    ", ".join(purchases.mapped("name"))
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
        """Reserve what the warehouse has, urgent orders first, and ask
        purchasing for the rest through Odoo's replenishment."""
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
            in_stock = warehouse_moves.product_id.with_context(
                warehouse_id=warehouse.id
            ).filtered(lambda p: p.free_qty > 0)
            to_assign |= warehouse_moves.filtered(
                lambda m, available=in_stock: m.product_id in available
            )
        if to_assign:
            to_assign.sorted(
                lambda m: (-int(m.picking_id.priority or 0), m.date, m.id)
            )._action_assign()
        orders.sudo()._request_replenishment()
        return True

    def _request_replenishment(self):
        """One request per short product and warehouse, through its orderpoint
        (made when missing, as Inventory > Replenishment does), for what the
        forecast lacks: running it again asks for nothing more."""
        moves = self._get_short_moves()
        if not moves:
            return
        orderpoints = self._get_replenishment_orderpoints(moves)
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        new_values = []
        for product, location in {
            (m.product_id, m.location_id.warehouse_id.lot_stock_id) for m in moves
        } - set(orderpoints):
            new_values.append(
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "warehouse_id": location.warehouse_id.id,
                    "company_id": location.company_id.id,
                    "trigger": "manual",
                    "product_min_qty": 0.0,
                    "product_max_qty": 0.0,
                }
            )
        for orderpoint in Orderpoint.create(new_values):
            orderpoints[(orderpoint.product_id, orderpoint.location_id)] = orderpoint
        needed = Orderpoint.concat(*orderpoints.values())
        # The forecast changed with the orders: recompute what to order.
        self.env.add_to_compute(Orderpoint._fields["qty_to_order_computed"], needed)
        needed = needed.filtered(
            lambda op: op.product_uom.compare(op.qty_to_order, 0.0) > 0
        )
        if not needed:
            return
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
        # Urgent orders' products first.
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

    @api.model
    def _cron_check_stock(self):
        """Scheduled: orders still short get their reservation and
        replenishment checked again."""
        orders = self.search([("procedure_stage", "=", "awaiting_replenishment")])
        orders.action_check_stock()

    @api.model
    def _default_order_channel(self):
        # Website and portal orders are created for customers and visitors
        # (share users), under sudo by the shop controllers.
        if self.env.context.get("website_id") or self.env.user.share:
            return "website"
        return "phone"

    @api.depends(*PRIORITY_DEPENDENCIES)
    def _compute_priority(self):
        rules = self._get_priority_rules()
        for order in self:
            order.priority = order.priority_manual or order._get_rule_priority(rules)[0]

    # Not computed with the priority: a reviewer writing the priority must
    # still see the reason follow.
    @api.depends(*PRIORITY_DEPENDENCIES)
    @api.depends_context("lang")
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
        if (
            "review_state" in vals
            and not self.env.su
            and not self.env.context.get("order_review_transition")
        ):
            raise AccessError(
                self.env._(
                    "The review status changes only through Submit for Review, "
                    "Approve and Return for Revision."
                )
            )
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
            result = super().write(vals)
        if REVIEWED_ORDER_FIELDS.intersection(vals):
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

    def _stage_history_ready(self):
        """False while the module installs and the history table is not
        made yet; the orders staged meanwhile get their history rebuilt."""
        return self.pool.ready or sql.table_exists(
            self.env.cr, "sale_order_stage_history"
        )

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
        self._set_review_state(
            {"review_state": "to_review", "review_return_reason": False}
        )
        self._build_review_checklist()
        self._schedule_review_activity()
        for order, order_warnings in warnings.items():
            order.message_post(
                body=self.env._(
                    "Submitted for review with warnings: %(warnings)s",
                    warnings="; ".join(order_warnings),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _set_review_state(self, vals):
        self.with_context(order_review_transition=True).write(vals)

    def _build_review_checklist(self):
        """A fresh checklist of every active rule, automatic items evaluated."""
        # sudo: the checklist is the procedure's record of the review, written
        # by the system for receivers who may not edit it.
        self.sudo().review_line_ids.unlink()
        rules = self.env["order.review.rule"].search(
            [("company_id", "in", [False, *self.company_id.ids])]
        )
        values = [
            {
                "order_id": order.id,
                "rule_id": rule.id,
                "sequence": sequence,
                "blocking": rule.blocking,
            }
            for order in self
            for sequence, rule in enumerate(
                rules.filtered(lambda r, o=order: r._applies_to(o))
            )
        ]
        lines = self.env["sale.order.review.line"].sudo().create(values)
        lines._evaluate()

    def _refresh_review_lines(self):
        """Re-run the automatic checks of orders in review."""
        in_review = self.filtered(lambda o: o.review_state == "to_review")
        in_review.sudo().review_line_ids._evaluate()

    def action_review_refresh(self):
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            raise AccessError(self.env._("Only procedure users may re-check orders."))
        self._refresh_review_lines()
        return True

    def _schedule_review_activity(self):
        """One review activity per order, for a reviewer who may approve it:
        the sales team leader when a reviewer, else the least busy reviewer."""
        group = self.env.ref("order_mgmt_procedure.group_order_reviewer")
        # sudo: choosing a reviewer reads other users' companies and open
        # activities, which a receiver may not read.
        reviewers = (
            self.env["res.users"]
            .sudo()
            .search([("all_group_ids", "in", group.id), ("share", "=", False)])
        )
        activity_type = self.env.ref(
            "order_mgmt_procedure.mail_activity_type_order_review"
        )
        open_counts = dict(
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [("activity_type_id", "=", activity_type.id)],
                ["user_id"],
                ["__count"],
            )
        )
        load = {user.id: open_counts.get(user, 0) for user in reviewers}
        for order in self:
            candidates = reviewers.filtered(
                lambda u, o=order: (
                    o.company_id in u.company_ids
                    and not (
                        o.company_id.order_reviewer_not_creator and u == o.create_uid
                    )
                )
            )
            if not candidates:
                continue
            leader = order.team_id.user_id
            reviewer = (
                leader
                if leader in candidates
                else min(candidates, key=lambda u: (load[u.id], u.id))
            )
            load[reviewer.id] += 1
            # Quick update: no assignment e-mail per submitted order; the
            # reviewer's queue is the To Review menu and the activities.
            order.with_context(mail_activity_quick_update=True).activity_schedule(
                "order_mgmt_procedure.mail_activity_type_order_review",
                user_id=reviewer.id,
            )

    def action_review_approve(self):
        """Reviewers approve: every blocking item passed, then the order is
        confirmed the way Odoo confirms orders."""
        if not self.env.user.has_group("order_mgmt_procedure.group_order_reviewer"):
            raise AccessError(self.env._("Only order reviewers may approve orders."))
        not_in_review = self.filtered(lambda o: o.review_state != "to_review")
        if not_in_review:
            raise UserError(
                self.env._(
                    "Only orders in review can be approved: %(orders)s.",
                    orders=", ".join(not_in_review.mapped("display_name")),
                )
            )
        self._refresh_review_lines()
        problems = []
        for order in self:
            if (
                order.company_id.order_reviewer_not_creator
                and order.create_uid == self.env.user
            ):
                problems.append(
                    self.env._(
                        "%(order)s: you created this order, another reviewer must "
                        "approve it.",
                        order=order.display_name,
                    )
                )
            for line in order.review_line_ids.filtered(
                lambda ln: ln.blocking and ln.result != "pass"
            ):
                problems.append(
                    self.env._(
                        "%(order)s: %(item)s - %(detail)s",
                        order=order.display_name,
                        item=line.rule_id.name,
                        detail=line.message or self.env._("not checked yet"),
                    )
                )
        if problems:
            raise UserError(
                self.env._(
                    "The review cannot be approved:\n%(problems)s",
                    problems="\n".join(f"- {p}" for p in problems),
                )
            )
        self._set_review_state(
            {
                "review_state": "approved",
                "review_user_id": self.env.uid,
                "review_date": fields.Datetime.now(),
            }
        )
        self.activity_feedback(
            ["order_mgmt_procedure.mail_activity_type_order_review"],
            feedback=self.env._("Approved"),
        )
        self.filtered(lambda o: o.state in ("draft", "sent")).action_confirm()
        return True

    def action_review_return(self):
        if not self.env.user.has_group("order_mgmt_procedure.group_order_reviewer"):
            raise AccessError(
                self.env._("Only order reviewers may return orders for revision.")
            )
        self.ensure_one()
        if self.review_state != "to_review":
            raise UserError(
                self.env._(
                    "Only orders in review can be returned: %(order)s.",
                    order=self.display_name,
                )
            )
        return self._open_order_wizard(
            "order.review.return.wizard", self.env._("Return for Revision")
        )

    def _return_for_revision(self, reason):
        """Back to the receiver; the customer is told why."""
        self._set_review_state(
            {"review_state": "returned", "review_return_reason": reason}
        )
        self.activity_feedback(
            ["order_mgmt_procedure.mail_activity_type_order_review"],
            feedback=self.env._("Returned for revision"),
        )
        template = self.env.ref("order_mgmt_procedure.mail_template_order_returned")
        for order in self:
            order.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def action_confirm(self):
        unapproved = self.filtered(
            lambda o: (
                o.company_id.order_review_required and o.review_state != "approved"
            )
        )
        # Modules' data files (demo orders of other modules) confirm orders at
        # install; the procedure starts with the orders people take.
        if unapproved and not self.env.context.get("install_mode"):
            if self.env.context.get("order_review_paid_online"):
                # The customer paid online: the order must go on, and is
                # reviewed after the fact.
                result = super().action_confirm()
                unapproved._review_after_online_payment()
                self.action_check_stock()
                return result
            if self.env.user.share:
                # A customer accepting a quotation online hands it to review;
                # the approval confirms it.
                unapproved.filtered(
                    lambda o: o.review_state in ("draft", "returned")
                )._submit_for_customer()
                confirmable = self - unapproved
                return (
                    super(SaleOrder, confirmable).action_confirm()
                    if confirmable
                    else True
                )
            raise UserError(
                self.env._(
                    "%(orders)s must be approved in review before confirmation: "
                    "submit it for review, a reviewer's approval confirms it.",
                    orders=", ".join(unapproved.mapped("display_name")),
                )
            )
        result = super().action_confirm()
        self.action_check_stock()
        return result

    def _review_after_online_payment(self):
        self._set_review_state({"review_state": "to_review"})
        self._build_review_checklist()
        self._schedule_review_activity()
        for order in self:
            order.message_post(
                body=self.env._(
                    "Confirmed by the customer's online payment before review: "
                    "review it now."
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _submit_for_customer(self):
        self._set_review_state(
            {"review_state": "to_review", "review_return_reason": False}
        )
        self._build_review_checklist()
        self._schedule_review_activity()
        for order in self:
            order.message_post(
                body=self.env._(
                    "Accepted by the customer online; submitted for review."
                ),
                subtype_xmlid="mail.mt_note",
            )

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
