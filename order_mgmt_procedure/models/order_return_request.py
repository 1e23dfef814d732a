"""The request: submission, the procedure managers' decision and its SLA."""

from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date

from ..tools.assignment import pick_assignees
from ..tools.cron import (
    commit_batch,
    in_scheduled_run,
    read_parameter,
    run_backlog,
    write_parameter,
)
from ..tools.text import join_items

OVERDUE_ACTIVITY = "order_mgmt_procedure.mail_activity_type_return_overdue"
# The last request the overdue-flagging pass reached, committed with each
# batch (in SQL, see tools/cron.py); 0 when a pass ends.
FLAG_OVERDUE_POSITION_KEY = "order_mgmt_procedure.flag_overdue_position"

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
# Approved and not done yet: the SLA runs.
IN_PROGRESS_STATES = ("approved", "received")
DECISION_ACTIVITY = "order_mgmt_procedure.mail_activity_type_return_decision"
DECIDED_ACTIVITIES = {
    "approved": "order_mgmt_procedure.mail_activity_type_return_approved",
    "rejected": "order_mgmt_procedure.mail_activity_type_return_rejected",
}


class OrderReturnRequest(models.Model):
    _name = "order.return.request"
    _description = "Return or Exchange Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "order.procedure.facts.mixin"]
    _order = "id desc"

    # The overdue filter and scheduled action: open requests by deadline.
    _open_deadline_idx = models.Index(
        "(deadline) WHERE state IN ('approved', 'received')"
    )
    # The overdue-flagging scheduled action's batches: the open requests in
    # id order from where the last batch stopped.
    _open_id_idx = models.Index("(id) WHERE state IN ('approved', 'received')")

    # === FIELDS === #

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
        compute="_compute_picking_id",
        store=True,
        readonly=False,
        domain="[('sale_id', '=', order_id), ('picking_type_code', '=', 'outgoing'), "
        "('state', '=', 'done')]",
        help="The delivery the goods came with; by default the order's delivery "
        "when it has only one.",
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
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    from_abnormal_receipt = fields.Boolean(
        readonly=True,
        copy=False,
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
    approved_by_id = fields.Many2one(
        "res.users", readonly=True, copy=False, tracking=True
    )
    approved_date = fields.Datetime(readonly=True, copy=False)
    done_date = fields.Datetime(
        string="Done On",
        readonly=True,
        copy=False,
        help="When the request was done: the return refunded, or the exchange closed.",
    )
    deadline = fields.Date(
        readonly=True,
        copy=False,
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
        "account.move",
        string="Credit Note",
        readonly=True,
        copy=False,
        help="The credit note of the returned goods; of the latest invoice "
        "when they were invoiced several times.",
    )
    refund_move_ids = fields.One2many(
        "account.move",
        "procedure_return_request_id",
        string="Credit Notes",
        help="The credit notes of the returned goods: one per invoice they were "
        "invoiced on, each reversing its invoice.",
    )
    evidence_count = fields.Integer(
        compute="_compute_evidence_count",
        help="Photos and videos attached to the request.",
    )
    # Technical: the form's buttons follow them and the actions refuse what
    # they deny; their labels are never shown, so they are not exported for
    # translation.
    can_submit = fields.Boolean(
        compute="_compute_buttons", export_string_translation=False
    )
    can_approve = fields.Boolean(
        compute="_compute_buttons", export_string_translation=False
    )
    can_reject = fields.Boolean(
        compute="_compute_buttons", export_string_translation=False
    )
    can_mark_done = fields.Boolean(
        compute="_compute_buttons", export_string_translation=False
    )

    # === COMPUTE METHODS === #

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
                and request.state in IN_PROGRESS_STATES
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue requests."))
        overdue = [
            ("deadline", "<", fields.Date.context_today(self)),
            ("state", "in", IN_PROGRESS_STATES),
        ]
        if (operator == "=") == value:
            return overdue
        return ["!", "&", *overdue]

    @api.depends("order_id")
    def _compute_picking_id(self):
        for request in self:
            deliveries = request.order_id._get_done_deliveries()
            if request.picking_id not in deliveries:
                request.picking_id = deliveries if len(deliveries) == 1 else False

    @api.depends("state", "return_picking_id.state", "exchange_picking_id.state")
    @api.depends_context("uid")
    def _compute_buttons(self):
        """Anyone with access submits a draft; procedure managers decide on a
        submitted request and close one whose goods came back."""
        is_manager = self._is_procedure_manager()
        for request in self:
            decidable = is_manager and request.state == "submitted"
            request.can_submit = request.state == "draft"
            request.can_approve = decidable
            request.can_reject = decidable
            request.can_mark_done = is_manager and request._is_resolved()

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("order.return.request") or "/"
                )
        return super().create(vals_list)

    @api.model
    def _get_procedure_fact_fields(self):
        decision = self.env._("Submit, Approve, Reject and Mark as Done")
        goods = self.env._("the return transfer and its validation")
        return {
            **super()._get_procedure_fact_fields(),
            **dict.fromkeys(
                ("state", "approved_by_id", "approved_date", "deadline", "done_date"),
                decision,
            ),
            **dict.fromkeys(
                (
                    "return_picking_id",
                    "exchange_picking_id",
                    "exchange_order_id",
                    "refund_move_id",
                ),
                goods,
            ),
            "from_abnormal_receipt": self.env._("Report Abnormal Receipt"),
        }

    def write(self, vals):
        if (
            vals.get("window_override_reason")
            and not self.env.su
            and not self._is_procedure_manager()
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

    # === ACTION METHODS === #

    def action_submit(self):
        """The request goes to the procedure managers."""
        self._lock_procedure_step()
        for request in self:
            request._check_submittable()
        self.line_ids._check_quantities()
        self._write_procedure_facts({"state": "submitted"})
        self._schedule_decision_activity()
        return True

    def action_approve(self):
        """Managers approve: the SLA starts, in working days, and the goods
        are called back (``_prepare_return_picking_vals``)."""
        self._check_manager()
        self._lock_procedure_step()
        not_submitted = self.filtered(lambda r: not r.can_approve)
        if not_submitted:
            raise UserError(
                self.env._(
                    "Only submitted requests can be approved: %(requests)s.",
                    requests=join_items(self.env, not_submitted.mapped("name")),
                )
            )
        now = fields.Datetime.now()
        for request in self:
            request._write_procedure_facts(
                {
                    "state": "approved",
                    "approved_by_id": self.env.uid,
                    "approved_date": now,
                    "deadline": request._compute_sla_deadline(now),
                }
            )
            request._create_return_picking()
        self._on_decided("approved")
        return True

    def action_reject(self):
        self._check_manager()
        self._lock_procedure_step()
        if self.filtered(lambda r: not r.can_reject):
            raise UserError(self.env._("Only submitted requests can be rejected."))
        self._write_procedure_facts({"state": "rejected"})
        self._on_decided("rejected")
        return True

    def action_done(self):
        """Managers close a request whose goods came back and that nothing
        else waits for (a replacement shipped by another order)."""
        self._check_manager()
        self._lock_procedure_step()
        waiting = self.filtered(lambda r: not r.can_mark_done)
        if waiting:
            raise UserError(
                self.env._(
                    "Only requests whose goods came back can be marked as done "
                    "(the return transfer received and, for an exchange, the "
                    "replacement delivered): %(requests)s.",
                    requests=join_items(self.env, waiting.mapped("name")),
                )
            )
        self._write_procedure_facts({"state": "done"})
        return True

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

    # === BUSINESS METHODS: VALIDATION === #

    def _is_procedure_manager(self):
        return self.env.user.has_group("order_mgmt_procedure.group_procedure_manager")

    def _check_manager(self):
        if not self._is_procedure_manager():
            raise AccessError(
                self.env._(
                    "Only procedure managers may decide on returns and exchanges."
                )
            )

    def _check_submittable(self):
        """Submit: a draft with products, the return's conditions met, inside
        the after-sales window or accepted after it by a manager."""
        self.ensure_one()
        if not self.can_submit:
            raise UserError(
                self.env._("%(request)s was already submitted.", request=self.name)
            )
        if not self.line_ids:
            raise UserError(
                self.env._(
                    "%(request)s: list the products to return or exchange.",
                    request=self.name,
                )
            )
        if (
            self.request_type == "return"
            and not self.from_abnormal_receipt
            and not (self.condition_intact and self.condition_accessories)
        ):
            raise UserError(
                self.env._(
                    "%(request)s: a return needs the product intact and its "
                    "accessories complete (tick both once checked).",
                    request=self.name,
                )
            )
        if not self.within_window and not self.window_override_reason:
            raise UserError(
                self.env._(
                    "%(request)s: the after-sales window of %(order)s ended on "
                    "%(date)s; a procedure manager may accept it with a reason.",
                    request=self.name,
                    order=self.order_id.name,
                    date=self.order_id.after_sales_deadline,
                )
            )

    def _is_resolved(self):
        """Whether the approved request waits for nothing more: the return
        transfer received (or none to wait for) and no replacement delivery
        on its way."""
        self.ensure_one()
        if self.state == "approved":
            return not self.return_picking_id
        return self.state == "received" and (
            self.exchange_picking_id.state in (False, "done", "cancel")
        )

    # === BUSINESS METHODS: DECISION === #

    def _schedule_decision_activity(self):
        """One activity per submitted request for a procedure manager who may
        decide on it: the order's sales team leader when a manager, else the
        manager with the fewest requests to decide. Closed by the decision."""
        assignees = pick_assignees(
            self,
            "order_mgmt_procedure.group_procedure_manager",
            DECISION_ACTIVITY,
            may_take=lambda request, user: request.company_id in user.company_ids,
            get_leader=lambda request: request.order_id.team_id.user_id,
        )
        for request, manager in assignees.items():
            request.activity_schedule(DECISION_ACTIVITY, user_id=manager.id)

    def _get_requester(self):
        """Who asked for the request among the staff: its creator, or for a
        customer's request from the portal, the order's salesperson."""
        self.ensure_one()
        # sudo: the creator's and the salesperson's user records, which
        # receivers may not read in full.
        for user in (self.sudo().create_uid, self.sudo().order_id.user_id):
            if user.active and not user.share:
                return user
        return self.env["res.users"]

    def _on_decided(self, decision):
        """The decision closes the managers' activity, and the requester gets
        one saying it (its title, the activity type's, reads in their
        language; Odoo's assignment notice is sent in their language)."""
        self.activity_feedback([DECISION_ACTIVITY])
        for request in self:
            requester = request._get_requester()
            if requester and requester != self.env.user:
                request.activity_schedule(
                    DECIDED_ACTIVITIES[decision], user_id=requester.id
                )

    # === BUSINESS METHODS: SLA === #

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
        created in batches, a constant number of queries per batch. Run by
        the scheduler, each batch is committed with the progress and the
        last request the pass reached; a run whose time is up stops after its
        batch, and the next run goes on after that request (those flagged
        before it are not read again)."""
        activity_type = self.env.ref(OVERDUE_ACTIVITY)
        domain = [
            ("is_overdue", "=", True),
            ("activity_ids", "not any", [("activity_type_id", "=", activity_type.id)]),
        ]
        scheduled = in_scheduled_run(self.env)
        position = self._get_flag_overdue_position() if scheduled else 0
        # The progress: the backlog counted once, not at each run.
        total = run_backlog(
            self.env, lambda: self.search_count([*domain, ("id", ">", position)])
        )
        flagged = 0
        last_id = position
        if not position:
            # A new pass, from the first request not flagged yet: the
            # requests flagged by the passes before are not read again.
            first = self.search(domain, order="id", limit=1)
            if not first:
                return True
            last_id = first.id - 1
        while True:
            # In id order from the last batch, the overdue requests, flagged
            # or not: a batch reads its requests only, not the ones before
            # it, nor every activity of the kind (which the search of those
            # without one would hash at each batch).
            candidates = self.search(
                [("is_overdue", "=", True), ("id", ">", last_id)],
                order="id",
                limit=batch_size,
            )
            if not candidates:
                if scheduled and position:
                    # The pass over: the next run starts a new one.
                    self._set_flag_overdue_position(0)
                return True
            last_id = candidates[-1].id
            # Those flagged before: one query on the batch's requests.
            already = (
                self.env["mail.activity"]
                .search_fetch(
                    [
                        ("res_model", "=", self._name),
                        ("res_id", "in", candidates.ids),
                        ("activity_type_id", "=", activity_type.id),
                    ],
                    ["res_id"],
                )
                .mapped("res_id")
            )
            batch = candidates - self.browse(already)
            if batch:
                # Quick update: no assignment e-mail per activity; the
                # approver finds them in their activities, as with any
                # scheduled activity.
                self.env["mail.activity"].with_context(
                    mail_activity_quick_update=True
                ).create(batch._prepare_overdue_activity_vals(activity_type))
                self.env.flush_all()
            flagged += len(batch)
            last = len(candidates) < batch_size
            if scheduled:
                position = 0 if last else last_id
                self._set_flag_overdue_position(position)
            remaining = 0 if last else max(total - flagged, 0)
            if not commit_batch(self.env, len(batch), remaining) or last:
                return True
            candidates.invalidate_recordset()

    def _get_flag_overdue_position(self):
        value = read_parameter(self.env, FLAG_OVERDUE_POSITION_KEY)
        return int(value) if value and value.isdigit() else 0

    def _set_flag_overdue_position(self, position):
        write_parameter(self.env, FLAG_OVERDUE_POSITION_KEY, position)

    def _prepare_overdue_activity_vals(self, activity_type):
        """The scheduled action's activity for each overdue request: no
        summary, the type's name is its title in the reader's language; its
        note is stored, in the company's language."""
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        # The names of the batch's requests read at once.
        self.fetch(["name"])
        vals_list = []
        for request in self:
            env = request._with_procedure_lang().env
            user = request.approved_by_id or self.env.user
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": request.id,
                    "activity_type_id": activity_type.id,
                    "note": env._(
                        "Due on %(date)s.", date=format_date(env, request.deadline)
                    ),
                    "date_deadline": today,
                    "user_id": user.id,
                    # The document's name and the assignee's time zone, stored
                    # fields Odoo computes from the two above, given: stored
                    # with the activities' insert, not by an update of the
                    # batch after it. sudo: as Odoo computes the name.
                    "res_name": request.sudo().display_name,
                    "user_tz": user.tz,
                }
            )
        return vals_list

    @api.model
    def _upgrade_overdue_activities(self):
        """Run by the upgrade to 19.0.1.1.0 (migrations/): the overdue
        flags of earlier versions, to-dos titled in English by the scheduled
        action, become activities of the overdue type."""
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if not todo:
            return
        self.env["mail.activity"].search(
            [
                ("res_model", "=", self._name),
                ("activity_type_id", "=", todo.id),
                ("summary", "=like", "Overdue: due on %"),
            ]
        ).write(
            {"activity_type_id": self.env.ref(OVERDUE_ACTIVITY).id, "summary": False}
        )
