from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

REQUEST_TYPES = [("return", "Return"), ("exchange", "Exchange")]
REQUEST_STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("received", "Received"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]


class OrderReturnRequest(models.Model):
    _name = "order.return.request"
    _description = "Return or Exchange Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    # The overdue filter and scheduled action: open requests by deadline.
    _open_deadline_idx = models.Index(
        "(deadline) WHERE state IN ('approved', 'received')"
    )

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    order_id = fields.Many2one(
        "sale.order", string="Sales Order", required=True, index=True, tracking=True
    )
    partner_id = fields.Many2one(
        related="order_id.partner_id", store=True, string="Customer"
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        domain="[('sale_id', '=', order_id), ('picking_type_code', '=', 'outgoing')]",
        help="The delivery the goods came with.",
    )
    request_type = fields.Selection(
        REQUEST_TYPES,
        string="Type",
        required=True,
        default="return",
        tracking=True,
    )
    reason = fields.Text(required=True, tracking=True)
    condition_intact = fields.Boolean(
        string="Product Intact", help="The product is undamaged by the customer."
    )
    condition_accessories = fields.Boolean(
        string="Accessories Complete", help="Every accessory and manual is included."
    )
    line_ids = fields.One2many(
        "order.return.request.line", "request_id", string="Products", copy=True
    )
    state = fields.Selection(
        REQUEST_STATES,
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    from_abnormal_receipt = fields.Boolean(
        readonly=True,
        help="Reported as damaged or wrong on receipt: the goods' condition is "
        "the reason, not a condition of the return.",
    )
    within_window = fields.Boolean(
        compute="_compute_within_window",
        help="The order's after-sales window is open (or has not started).",
    )
    window_override_reason = fields.Text(
        tracking=True,
        help="Why a procedure manager accepts the request after the after-sales "
        "window.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    approved_date = fields.Datetime(readonly=True)
    done_date = fields.Datetime(
        string="Done On",
        readonly=True,
        copy=False,
        help="When the request was done: the return refunded, or the exchange closed.",
    )
    deadline = fields.Date(
        readonly=True,
        tracking=True,
        help="Working days on the company's calendar from approval: the return "
        "processed, or the exchange goods delivered, by this day.",
    )
    is_overdue = fields.Boolean(
        compute="_compute_is_overdue", search="_search_is_overdue"
    )
    return_picking_id = fields.Many2one(
        "stock.picking", string="Return Transfer", readonly=True, copy=False
    )
    exchange_picking_id = fields.Many2one(
        "stock.picking", string="Replacement Delivery", readonly=True, copy=False
    )
    exchange_order_id = fields.Many2one("sale.order", readonly=True, copy=False)
    refund_move_id = fields.Many2one(
        "account.move", string="Credit Note", readonly=True, copy=False
    )
    evidence_count = fields.Integer(
        compute="_compute_evidence_count",
        help="Photos and videos attached to the request.",
    )

    @api.model
    def _get_list_action(self, domain, context=None):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Returns and Exchanges"),
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": domain,
            "context": context or {},
        }

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("order.return.request") or "/"
                )
        return super().create(vals_list)

    def _compute_evidence_count(self):
        counts = dict(
            self.env["ir.attachment"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["__count"],
            )
        )
        for request in self:
            request.evidence_count = counts.get(request.id, 0)

    @api.depends("order_id.after_sales_deadline", "order_id.completed_date")
    def _compute_within_window(self):
        today = fields.Date.context_today(self)
        for request in self:
            deadline = request.order_id.after_sales_deadline
            request.within_window = not deadline or deadline >= today

    @api.depends("deadline", "state")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for request in self:
            request.is_overdue = bool(
                request.deadline
                and request.deadline < today
                and request.state in ("approved", "received")
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue requests."))
        overdue = [
            ("deadline", "<", fields.Date.context_today(self)),
            ("state", "in", ("approved", "received")),
        ]
        if (operator == "=") == value:
            return overdue
        return ["!", "&", *overdue]

    def _check_manager(self):
        if not self.env.user.has_group("order_mgmt_procedure.group_procedure_manager"):
            raise AccessError(
                self.env._(
                    "Only procedure managers may decide on returns and exchanges."
                )
            )

    def action_approve(self):
        """Managers approve: the SLA starts, in working days."""
        self._check_manager()
        not_submitted = self.filtered(lambda r: r.state != "submitted")
        if not_submitted:
            raise UserError(
                self.env._(
                    "Only submitted requests can be approved: %(requests)s.",
                    requests=", ".join(not_submitted.mapped("name")),
                )
            )
        now = fields.Datetime.now()
        for request in self:
            request.write(
                {
                    "state": "approved",
                    "approved_by_id": self.env.uid,
                    "approved_date": now,
                    "deadline": request._compute_sla_deadline(now),
                }
            )
            request._create_return_picking()
        return True

    def _get_returned_delivery(self):
        self.ensure_one()
        return (
            self.picking_id
            or self.order_id.picking_ids.filtered(
                lambda p: p.picking_type_code == "outgoing" and p.state == "done"
            ).sorted("date_done")[-1:]
        )

    def _create_return_picking(self):
        """The goods come back through Odoo's own returns wizard."""
        self.ensure_one()
        delivery = self._get_returned_delivery()
        if not delivery:
            return
        # sudo: receiving returns is Inventory work the manager's approval orders.
        wizard = (
            self.env["stock.return.picking"]
            .sudo()
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({})
        )
        wanted = {}
        for line in self.line_ids:
            wanted[line.product_id] = wanted.get(line.product_id, 0.0) + line.quantity
        for return_line in wizard.product_return_moves:
            quantity = min(
                wanted.get(return_line.product_id, 0.0), return_line.move_id.quantity
            )
            wanted[return_line.product_id] = (
                wanted.get(return_line.product_id, 0.0) - quantity
            )
            return_line.quantity = quantity
        action = wizard.action_create_returns()
        self.return_picking_id = action["res_id"]

    def _on_return_received(self):
        """The returned goods arrived: refund a return, ship an exchange."""
        for request in self.filtered(lambda r: r.state == "approved"):
            request.state = "received"
            if request.request_type == "return":
                request._create_refund()
                request.state = "done"
            else:
                request._create_exchange_delivery()

    def _create_refund(self):
        """A draft credit note for the returned goods at their order price,
        when the order was invoiced; never two for one request."""
        self.ensure_one()
        order = self.order_id.sudo()
        if self.refund_move_id or not order.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        ):
            return
        lines = []
        for line in self.line_ids:
            sale_line = order.order_line.filtered(
                lambda sol, p=line.product_id: sol.product_id == p
            )[:1]
            lines.append(
                fields.Command.create(
                    {
                        "product_id": line.product_id.id,
                        "quantity": line.quantity,
                        "price_unit": sale_line.price_unit,
                        "discount": sale_line.discount,
                        "tax_ids": [fields.Command.set(sale_line.tax_ids.ids)],
                        "sale_line_ids": [fields.Command.set(sale_line.ids)],
                    }
                )
            )
        # sudo: the credit note is drafted for the accountants, who post it.
        refund = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": order.partner_invoice_id.id,
                    "invoice_origin": order.name,
                    "ref": self.env._(
                        "Return %(request)s of %(order)s",
                        request=self.name,
                        order=order.name,
                    ),
                    "procedure_refund_order_id": order.id,
                    "invoice_line_ids": lines,
                }
            )
        )
        self.refund_move_id = refund

    def _create_exchange_delivery(self):
        """The replacement goods leave with the order's priority; another
        product makes a new order, reviewed like any other."""
        self.ensure_one()
        order = self.order_id
        changed = self.line_ids.filtered(
            lambda ln: (
                ln.replacement_product_id and ln.replacement_product_id != ln.product_id
            )
        )
        if changed:
            # sudo: the exchange order is made by the procedure for the manager.
            self.exchange_order_id = (
                self.env["sale.order"]
                .sudo()
                .create(
                    {
                        "partner_id": order.partner_id.id,
                        "partner_shipping_id": order.partner_shipping_id.id,
                        "order_channel": "other",
                        "origin": f"{order.name} - {self.name}",
                        "priority_manual": order.priority
                        if order.priority == "1"
                        else False,
                        "order_line": [
                            fields.Command.create(
                                {
                                    "product_id": line.replacement_product_id.id,
                                    "product_uom_qty": line.quantity,
                                }
                            )
                            for line in changed
                        ],
                    }
                )
            )
        same = self.line_ids - changed
        if not same:
            return
        picking_type = order.warehouse_id.out_type_id
        customers = order.partner_shipping_id.property_stock_customer
        # sudo: the exchange is Inventory work the approval orders.
        picking = (
            self.env["stock.picking"]
            .sudo()
            .create(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": order.partner_shipping_id.id,
                    "origin": f"{order.name} - {self.name}",
                    "priority": order.priority,
                    "move_ids": [
                        fields.Command.create(
                            {
                                "product_id": line.product_id.id,
                                "product_uom_qty": line.quantity,
                                "location_id": picking_type.default_location_src_id.id,
                                "location_dest_id": customers.id,
                            }
                        )
                        for line in same
                    ],
                }
            )
        )
        picking.action_confirm()
        picking.action_assign()
        self.exchange_picking_id = picking

    def action_done(self):
        self._check_manager()
        self.filtered(lambda r: r.state in ("approved", "received")).state = "done"
        return True

    def action_reject(self):
        self._check_manager()
        if self.filtered(lambda r: r.state != "submitted"):
            raise UserError(self.env._("Only submitted requests can be rejected."))
        self.state = "rejected"
        return True

    def _compute_sla_deadline(self, start):
        """``return_sla_days`` or ``exchange_sla_days`` working days after the
        day of ``start``, on the company's calendar, its leaves included."""
        self.ensure_one()
        company = self.company_id
        days = (
            company.exchange_sla_days
            if self.request_type == "exchange"
            else company.return_sla_days
        )
        calendar = company.resource_calendar_id
        next_day = datetime.combine(start.date() + timedelta(days=1), time.min)
        if not calendar:
            return fields.Date.add(start.date(), days=days)
        end = calendar.plan_days(
            days, next_day.replace(tzinfo=None), compute_leaves=True
        )
        return end.date() if end else fields.Date.add(start.date(), days=days)

    @api.model
    def _cron_flag_overdue(self, batch_size=1000):
        """An activity for whoever approved each overdue request, once;
        created in batches, a constant number of queries per batch."""
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        overdue = self.search([("is_overdue", "=", True)], order="id")
        flagged = set(
            self.env["mail.activity"]
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", overdue.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
            .mapped("res_id")
        )
        to_flag = overdue.filtered(lambda r: r.id not in flagged)
        today = fields.Date.context_today(self)
        for start in range(0, len(to_flag), batch_size):
            batch = to_flag[start : start + batch_size]
            # Quick update: no assignment e-mail per activity; the approver
            # finds them in their activities, as with any scheduled to-do.
            self.env["mail.activity"].with_context(
                mail_activity_quick_update=True
            ).create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": request.id,
                        "activity_type_id": activity_type.id,
                        "summary": self.env._(
                            "Overdue: due on %(date)s",
                            date=format_date(self.env, request.deadline),
                        ),
                        "date_deadline": today,
                        "user_id": (request.approved_by_id or self.env.user).id,
                    }
                    for request in batch
                ]
            )
            # The activities' document names are computed next, one record at
            # a time: their names are loaded for the whole batch first.
            batch.invalidate_recordset(["name"])
            batch.fetch(["name"])
            self.env.flush_all()
            batch.invalidate_recordset()
        return True

    def action_submit(self):
        """The request goes to the procedure managers."""
        for request in self:
            if request.state != "draft":
                raise UserError(
                    self.env._(
                        "%(request)s was already submitted.", request=request.name
                    )
                )
            if not request.line_ids:
                raise UserError(
                    self.env._(
                        "%(request)s: list the products to return or exchange.",
                        request=request.name,
                    )
                )
            if (
                request.request_type == "return"
                and not request.from_abnormal_receipt
                and not (request.condition_intact and request.condition_accessories)
            ):
                raise UserError(
                    self.env._(
                        "%(request)s: a return needs the product intact and its "
                        "accessories complete (tick both once checked).",
                        request=request.name,
                    )
                )
            if not request.within_window and not request.window_override_reason:
                raise UserError(
                    self.env._(
                        "%(request)s: the after-sales window of %(order)s ended on "
                        "%(date)s; a procedure manager may accept it with a reason.",
                        request=request.name,
                        order=request.order_id.name,
                        date=request.order_id.after_sales_deadline,
                    )
                )
        self.line_ids._check_quantities()
        self.state = "submitted"
        return True

    def write(self, vals):
        if (
            vals.get("window_override_reason")
            and not self.env.su
            and not self.env.user.has_group(
                "order_mgmt_procedure.group_procedure_manager"
            )
        ):
            raise AccessError(
                self.env._(
                    "Only procedure managers may accept a request after the "
                    "after-sales window."
                )
            )
        if vals.get("state") == "done" and "done_date" not in vals:
            vals = {**vals, "done_date": fields.Datetime.now()}
        return super().write(vals)
