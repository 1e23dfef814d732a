"""Review (stages In Review and Returned for Revision): the checklist, submit,
approve (which confirms the order) and return for revision."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id
from odoo.tools.sql import column_exists

from ..tools.assignment import pick_assignees
from ..tools.data_loading import loading_module_data
from ..tools.text import join_items
from .order_review_rule import AUTOMATIC_CHECK_TYPES

REVIEW_STATES = [
    ("draft", "Not Submitted"),
    ("to_review", "To Review"),
    ("returned", "Returned"),
    ("approved", "Approved"),
]

REVIEW_ACTIVITY = "order_mgmt_procedure.mail_activity_type_order_review"


# Marks the confirmation of orders paid online (see payment.transaction): a
# value no XML-RPC or JSON-RPC client can send in its context.
PAID_ONLINE = object()


# Marks the confirmation an approval makes: a value no XML-RPC or JSON-RPC
# client can send in its context. The approval's review values wait on the
# cursor, by order, for that confirmation's write (one write of the orders,
# not two). The marker is the same object for every approval, so that Odoo
# reuses the environments of one approval's confirmation for the next: a
# context value of each approval's own made every environment of the
# confirmation anew (and each of them found again its user, company and
# language).
APPROVING = object()
_APPROVALS = "order_mgmt_procedure.review_approvals"
# The (order id, partner id) pairs _subscribe_reviewers has just made follow
# their orders, on the cursor while their review activities are scheduled.
_SUBSCRIBED = "order_mgmt_procedure.review_subscribed"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # === FIELDS === #

    review_state = fields.Selection(
        REVIEW_STATES,
        string="Review Status",
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
        help="Where the quotation stands in the order review.",
    )
    # Odoo's salespeople without a procedure role open orders too: the
    # checklist is left out of their screens.
    review_line_ids = fields.One2many(
        "sale.order.review.line",
        "order_id",
        string="Review Checklist",
        copy=False,
        groups="order_mgmt_procedure.group_order_receiver",
    )
    review_blocking_count = fields.Integer(
        compute="_compute_review_blocking_count",
        # Counted for everyone who sees the order's alert; the items stay the
        # procedure's.
        compute_sudo=True,
        help="Blocking checklist items not passed yet.",
    )
    # The order's alerts say each user what is theirs to do: the blocking
    # items they can act on (a reviewer ticks or returns, a receiver fixes
    # the order), and, for receivers, the items waiting for the reviewer.
    review_to_act_count = fields.Integer(
        compute="_compute_review_alerts",
        compute_sudo=True,
        export_string_translation=False,
    )
    review_waiting_items = fields.Char(
        compute="_compute_review_alerts",
        compute_sudo=True,
        export_string_translation=False,
    )
    # Approve asks for confirmation only when nothing stops the approval.
    review_ready_to_approve = fields.Boolean(
        compute="_compute_review_alerts",
        compute_sudo=True,
        export_string_translation=False,
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
    can_refresh_review = fields.Boolean(
        compute="_compute_review_buttons", export_string_translation=False
    )

    # === COMPUTE METHODS === #

    @api.depends("review_line_ids.result", "review_line_ids.blocking")
    def _compute_review_blocking_count(self):
        for order in self:
            order.review_blocking_count = len(
                order.review_line_ids.filtered(
                    lambda line: line.blocking and line.result != "pass"
                )
            )

    @api.depends(
        "review_state",
        "create_uid",
        "company_id.order_reviewer_not_creator",
        "review_line_ids.result",
        "review_line_ids.blocking",
        "review_line_ids.rule_id",
    )
    @api.depends_context("uid", "lang")
    def _compute_review_alerts(self):
        user = self.env.user
        is_reviewer = user.has_group("order_mgmt_procedure.group_order_reviewer")
        for order in self:
            blocking = order.review_line_ids.filtered(
                lambda line: line.blocking and line.result != "pass"
            )
            if order.review_state != "to_review":
                blocking = blocking.browse()
            waiting = blocking.filtered(lambda line: line.check_type == "manual")
            to_act = blocking if is_reviewer else blocking - waiting
            order.review_to_act_count = len(to_act)
            order.review_waiting_items = (
                join_items(self.env, waiting.mapped("rule_id.name"))
                if waiting and not is_reviewer
                else False
            )
            order.review_ready_to_approve = (
                is_reviewer
                and order.review_state == "to_review"
                and not blocking
                and not order._is_own_order(user)
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
            order.can_refresh_review = is_receiver and order.review_state == "to_review"

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        steps = self.env._("Submit for Review, Approve and Return for Revision")
        return {
            **super()._get_procedure_fact_fields(),
            "review_state": steps,
            "review_user_id": steps,
            "review_date": steps,
            "review_return_reason": steps,
        }

    @api.model
    def _get_review_trigger_fields(self):
        """Fields whose change makes the automatic review checks run again
        (called by write, as sale_exception's trigger fields)."""
        return {
            "partner_id",
            "partner_shipping_id",
            "order_line",
            "payment_term_id",
            "preferred_payment_method_line_id",
            "pricelist_id",
            "warehouse_id",
        }

    # === ACTION METHODS === #

    def action_submit_review(self):
        """Receivers hand a complete, well-formed quotation to the reviewers."""
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            raise AccessError(
                self.env._("Only order receivers may submit orders for review.")
            )
        self._lock_procedure_step()
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
                    orders=join_items(self.env, not_submittable.mapped("display_name")),
                )
            )
        problems, warnings = self._run_intake_checks()
        if problems:
            raise self._get_intake_refusal(self._word_intake_findings(problems))
        notes = {}
        for order, order_warnings in warnings.items():
            # The procedure's notes are written in the company's language,
            # the refusal above in the user's: the findings are worded for each.
            in_lang = order._with_procedure_lang()
            texts = in_lang.env["order.review.rule"]._render_findings([order_warnings])[
                0
            ]
            notes[order] = in_lang.env._(
                "Submitted for review with warnings: %(warnings)s",
                warnings="; ".join(texts),
            )
        self._put_in_review(notes)
        return True

    def action_review_refresh(self):
        if not self.env.user.has_group("order_mgmt_procedure.group_order_receiver"):
            raise AccessError(self.env._("Only procedure users may re-check orders."))
        self._refresh_review_lines()
        return True

    def action_review_approve(self):
        """Reviewers approve: every blocking item passed, then the order is
        confirmed the way Odoo confirms orders."""
        if not self.env.user.has_group("order_mgmt_procedure.group_order_reviewer"):
            raise AccessError(self.env._("Only order reviewers may approve orders."))
        self._lock_procedure_step()
        not_in_review = self.filtered(lambda o: o.review_state != "to_review")
        if not_in_review:
            raise UserError(
                self.env._(
                    "Only orders in review can be approved: %(orders)s.",
                    orders=join_items(self.env, not_in_review.mapped("display_name")),
                )
            )
        self._refresh_review_lines()
        problems = self._get_approval_problems()
        if problems:
            raise UserError(
                self.env._(
                    "The review cannot be approved:\n%(problems)s",
                    problems="\n".join(f"- {p}" for p in problems),
                )
            )
        if self.env.context.get("order_review_check_only"):
            # The form's Approve while something seemed to block: the re-check
            # found nothing left, the approval is then asked with its
            # confirmation, not made without it.
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "success",
                    "message": self.env._(
                        "Every blocking check passes now: Approve again to confirm "
                        "the order."
                    ),
                    "next": {"type": "ir.actions.client", "tag": "soft_reload"},
                },
            }
        approval = self._prepare_review_approval_vals()
        to_confirm = self.filtered(lambda o: o.state in ("draft", "sent"))
        # Orders confirmed before their review (paid online) are only marked
        # approved; the others get the approval with their confirmation.
        (self - to_confirm)._set_review_state(approval)
        # The procedure's notes (here the done activity) are written in the
        # company's language.
        for lang, orders in self._group_by_procedure_lang().items():
            orders = orders.with_context(lang=lang)
            orders._close_review_activities(orders.env._("Approved"))
        if to_confirm:
            approvals = self.env.cr.cache.setdefault(_APPROVALS, {})
            approvals.update(dict.fromkeys(to_confirm.ids, approval))
            try:
                to_confirm.with_context(
                    order_review_approval=APPROVING
                ).action_confirm()
            finally:
                for order_id in to_confirm.ids:
                    approvals.pop(order_id, None)
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

    def action_confirm(self):
        # No hook of Odoo's confirmation can turn it into something else: a
        # customer accepting a quotation online hands it to review instead,
        # and the reviewer's approval confirms it. Everything else goes
        # through _confirmation_error_message and _action_confirm.
        to_review = self.filtered(
            lambda o: o.env.user.share and o._needs_review_before_confirmation()
        )
        if not to_review:
            return super().action_confirm()
        # The customer's acceptance hands the order on by itself: an automatic
        # step, tracked in the company's language.
        to_review._track_in_procedure_lang()
        submitted = to_review.filtered(
            lambda o: o.review_state in ("draft", "returned")
        )
        submitted._put_in_review(
            {
                order: order._with_procedure_lang().env._(
                    "Accepted by the customer online; submitted for review."
                )
                for order in submitted
            }
        )
        confirmable = self - to_review
        return super(SaleOrder, confirmable).action_confirm() if confirmable else True

    def action_draft(self):
        cancelled = self.filtered(lambda o: o.state == "cancel")
        result = super().action_draft()
        # A cancelled order set back to quotation is reviewed again.
        cancelled.filtered(
            lambda o: o.state == "draft" and o.review_state != "draft"
        )._reset_review()
        return result

    def action_unlock(self):
        # Unlocking lets a confirmed order change after its review: reviewers'
        # decision where the review is required.
        if (
            not self.env.su
            and any(order.review_required for order in self)
            and not self.env.user.has_group("order_mgmt_procedure.group_order_reviewer")
        ):
            raise AccessError(
                self.env._(
                    "Only order reviewers may unlock a confirmed order: its changes "
                    "are not reviewed again."
                )
            )
        return super().action_unlock()

    # === BUSINESS METHODS: confirmation === #

    def _get_review_approval(self):
        """The review values the approval of the orders gives them in the
        confirmation it makes, if this is one (see action_review_approve)."""
        if self.env.context.get("order_review_approval") is not APPROVING:
            return None
        approvals = self.env.cr.cache.get(_APPROVALS, {})
        values = [approvals.get(order_id) for order_id in self.ids]
        if not values or any(value is not values[0] for value in values):
            return None
        return values[0]

    def _needs_review_before_confirmation(self):
        """Whether the order may only be confirmed by an approved review.
        Modules' data files (other modules' demo orders) confirm orders at
        install; an order paid online is confirmed and reviewed after."""
        self.ensure_one()
        return (
            self.company_id.order_review_required
            and self.review_state != "approved"
            and not self._get_review_approval()
            and not loading_module_data(self.env)
            and self.env.context.get("order_review_paid_online") is not PAID_ONLINE
        )

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        if error or not self._needs_review_before_confirmation():
            return error
        return self.env._(
            "%(orders)s must be approved in review before confirmation: "
            "submit it for review, a reviewer's approval confirms it.",
            orders=self.display_name,
        )

    def _prepare_confirmation_values(self):
        values = super()._prepare_confirmation_values()
        approval = self._get_review_approval()
        if approval:
            values.update(approval)
        return values

    def _check_procedure_facts(self, vals_list, defaults=False):
        # The confirmation's write of an approval carries the approval's
        # review values, and only them.
        approval = self._get_review_approval()
        if approval and not defaults:
            vals_list = [
                {
                    name: value
                    for name, value in vals.items()
                    if name not in approval or value != approval[name]
                }
                for vals in vals_list
            ]
        return super()._check_procedure_facts(vals_list, defaults=defaults)

    def _action_confirm(self):
        result = super()._action_confirm()
        if self.env.context.get("order_review_paid_online") is PAID_ONLINE:
            # The customer paid online: the order went on, and is reviewed
            # after the fact.
            paid = self.filtered(
                lambda o: (
                    o.company_id.order_review_required and o.review_state != "approved"
                )
            )
            paid._put_in_review(
                {
                    order: order._with_procedure_lang().env._(
                        "Confirmed by the customer's online payment before review: "
                        "review it now."
                    )
                    for order in paid
                }
            )
        return result

    # === BUSINESS METHODS: review === #

    def _set_review_state(self, vals):
        self._write_procedure_facts(vals)

    def _prepare_review_approval_vals(self):
        """The review values of the orders' approval by the current user."""
        return {
            "review_state": "approved",
            "review_user_id": self.env.uid,
            "review_date": fields.Datetime.now(),
        }

    def _reset_review(self):
        """Back to not submitted, without approval or checklist."""
        self._set_review_state(
            {
                "review_state": "draft",
                "review_user_id": False,
                "review_date": False,
                "review_return_reason": False,
            }
        )
        # sudo: the checklist is the procedure's record, see _build_review_checklist.
        self.sudo().review_line_ids.unlink()

    def _put_in_review(self, note=None):
        """Hand the orders to the reviewers: in review, a fresh checklist, the
        reviewer's activity, and ``note`` in the chatter (one text for every
        order, or a text by order, in the company's language: see
        _get_procedure_lang)."""
        if not self:
            return
        self._set_review_state(
            {"review_state": "to_review", "review_return_reason": False}
        )
        self._build_review_checklist()
        self._schedule_review_activity()
        for order in self:
            body = note.get(order) if isinstance(note, dict) else note
            if body:
                order._with_procedure_lang().message_post(
                    body=body, subtype_xmlid="mail.mt_note"
                )

    def _build_review_checklist(self):
        """A fresh checklist of every active rule, automatic items evaluated."""
        # sudo: the checklist is the procedure's record of the review, written
        # by the system for receivers who may not edit it.
        self.sudo().review_line_ids.unlink()
        rules = self.env["order.review.rule"]._search_company_rules(self.company_id)
        values = self._prepare_review_line_vals(rules)
        # The automatic items are evaluated before the insert: each item is
        # stored once, with its result (no update after it).
        Line = self.env["sale.order.review.line"].sudo()
        orders = self.sudo()
        # The stock of the orders read at once.
        rules = rules.sudo()._with_stock_of(orders)
        now = fields.Datetime.now()
        for vals in values:
            rule = rules.browse(vals["rule_id"])
            if rule.check_type in AUTOMATIC_CHECK_TYPES and "result" not in vals:
                order = orders.browse(vals["order_id"])
                vals.update(Line._get_evaluation_vals(rule, order, now))
        Line._create_procedure_facts(values)

    def _prepare_review_line_vals(self, rules):
        """Values of the checklist items of the orders, one per rule of
        ``rules`` that applies to each order (Submit for Review, and orders
        accepted or paid online). Override to add, drop or reorder items."""
        return [
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

    def _refresh_review_lines(self):
        """Re-run the automatic checks of orders in review."""
        in_review = self.filtered(lambda o: o.review_state == "to_review")
        in_review.sudo().review_line_ids._evaluate()

    def _schedule_review_activity(self):
        """One review activity per order, for a reviewer who may approve it:
        the sales team leader when a reviewer, else the least busy reviewer."""
        assignees = pick_assignees(
            self,
            "order_mgmt_procedure.group_order_reviewer",
            REVIEW_ACTIVITY,
            may_take=lambda order, user: (
                order.company_id in user.company_ids and not order._is_own_order(user)
            ),
            get_leader=lambda order: order.team_id.user_id,
        )
        # The reviewers follow their orders, as an activity makes its assignee
        # do: subscribed here in one statement for the orders of the call, not
        # by the subscription of each activity (five queries each).
        subscribed = self.env.cr.cache.setdefault(_SUBSCRIBED, set())
        pairs = self._subscribe_reviewers(assignees) - subscribed
        subscribed |= pairs
        try:
            for order, reviewer in assignees.items():
                # Quick update: no assignment e-mail per submitted order; the
                # reviewer's queue is the To Review menu and the activities.
                # The document's name and the reviewer's time zone, stored
                # fields Odoo computes from these two, given: stored with the
                # activity's insert, not by an update after it.
                order.with_context(mail_activity_quick_update=True).activity_schedule(
                    REVIEW_ACTIVITY,
                    user_id=reviewer.id,
                    res_name=order.sudo().display_name,
                    user_tz=reviewer.tz,
                )
        finally:
            subscribed -= pairs

    def _subscribe_reviewers(self, assignees):
        """Make each reviewer of ``assignees`` (order -> user) a follower of
        their order with the default subtypes of an employee, as Odoo's
        message_subscribe would (a reviewer already following is left as
        they are), in one statement. Returns the (order id, partner id)
        pairs now following, which message_subscribe then skips."""
        pairs = [
            (order.id, user.partner_id.id)
            for order, user in assignees.items()
            if user.partner_id.active
        ]
        if not pairs:
            return frozenset()
        # Reviewers are employees: the default subtypes, internal ones too.
        subtypes = self.env["mail.message.subtype"].default_subtypes(self._name)[0]
        self.env["mail.followers"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH new_followers AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT %s, pair.res_id, pair.partner_id
                      FROM unnest(%s::int[], %s::int[]) AS pair(res_id, partner_id)
                    ON CONFLICT (res_model, res_id, partner_id) DO NOTHING
                    RETURNING id
                )
                INSERT INTO mail_followers_mail_message_subtype_rel
                            (mail_followers_id, mail_message_subtype_id)
                SELECT new_followers.id, subtype.id
                  FROM new_followers, unnest(%s::int[]) AS subtype(id)
                """,
                self._name,
                [order_id for order_id, __ in pairs],
                [partner_id for __, partner_id in pairs],
                subtypes.ids,
            )
        )
        self.env["mail.followers"].invalidate_model()
        self.invalidate_recordset(["message_follower_ids", "message_partner_ids"])
        return frozenset(pairs)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        # The reviewers _subscribe_reviewers made follow their orders: the
        # subscription of their review activities has nothing left to do.
        subscribed = self.env.cr.cache.get(_SUBSCRIBED)
        if (
            subscribed
            and partner_ids
            and not subtype_ids
            and all(
                (order_id, partner_id) in subscribed
                for order_id in self.ids
                for partner_id in partner_ids
            )
        ):
            return True
        return super().message_subscribe(
            partner_ids=partner_ids, subtype_ids=subtype_ids
        )

    def _close_review_activities(self, feedback):
        """Mark the orders' review activities done with ``feedback``, as
        Odoo's activity_feedback does: the activity archived, its done
        message in the chatter. The activities of the orders that need
        nothing of Odoo's own path (see _needs_odoo_done_sql) are found and
        read in one query and their done messages logged in one insert;
        the other orders' activities, found by a second query only when some
        order is left, take Odoo's Mark Done."""
        if not self or self.env.context.get("mail_activity_automation_skip"):
            return
        activity_type_id = self.env["ir.model.data"]._xmlid_to_res_id(REVIEW_ACTIVITY)
        review_activities = [
            ("res_model", "=", self._name),
            ("activity_type_id", "=", activity_type_id),
            ("automated", "=", True),
        ]
        Activity = self.env["mail.activity"]
        self.env["ir.attachment"].flush_model(["res_model", "res_id"])
        self.env["mail.followers"].flush_model()
        # sudo: the review activities of orders the user was just allowed to
        # approve or return (checked by the caller), whoever they were given
        # to: read without mail.activity's record-by-record access filter.
        simple = (
            Activity.sudo()
            .search_fetch(
                Domain(review_activities)
                & Domain("res_id", "in", self.ids)
                # 'not any!' with SQL: the orders' ids not in the subquery.
                & Domain(
                    "res_id", "not any!", self._needs_odoo_done_sql(activity_type_id)
                ),
                # What the ORM would read on first access (the note included).
                [
                    name
                    for name, field in Activity._fields.items()
                    if field.store and field.column_type and field.prefetch is True
                ],
            )
            .with_env(self.env)
        )
        if any(activity.chaining_type == "trigger" for activity in simple):
            # A next activity to schedule: Odoo's path does it.
            simple.action_feedback(feedback=feedback)
        elif simple:
            self._log_activities_done(simple, feedback)
            simple.write({"active": False, "feedback": feedback})
        others = self.browse(set(self.ids) - set(simple.mapped("res_id")))
        if others:
            Activity.sudo().search(
                [*review_activities, ("res_id", "in", others.ids)]
            ).with_env(self.env).action_feedback(feedback=feedback)

    def _needs_odoo_done_sql(self, activity_type_id):
        """The orders among these whose review activities need Odoo's own
        Mark Done: a file attached to one of them (moved to its done
        message), or a follower subscribed to Activities (whom Odoo's done
        message notifies)."""
        return SQL(
            """
            SELECT act.res_id FROM mail_activity act
              JOIN ir_attachment att
                ON att.res_model = 'mail.activity' AND att.res_id = act.id
             WHERE act.res_model = %(model)s AND act.res_id IN %(ids)s
               AND act.activity_type_id = %(type)s
            UNION ALL
            SELECT fol.res_id FROM mail_followers fol
              JOIN mail_followers_mail_message_subtype_rel rel
                ON rel.mail_followers_id = fol.id
             WHERE fol.res_model = %(model)s AND fol.res_id IN %(ids)s
               AND rel.mail_message_subtype_id = %(subtype)s
            """,
            model=self._name,
            ids=tuple(self.ids),
            type=activity_type_id,
            subtype=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_activities"),
        )

    def _log_activities_done(self, activities, feedback):
        """The done messages of ``activities``, as Odoo's _action_done posts
        them (its template, the activity's type and subtype Activities, the
        user as author), in one insert; nobody to notify (see
        _needs_odoo_done_sql)."""
        author_id, email_from = self._message_compute_author()
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_activities")
        reply_to = self.env["mail.thread"]._notify_get_reply_to(
            default=email_from, author_id=author_id
        )[False]
        Render = self.env["mail.render.mixin"]
        values = []
        for activity in activities:
            body = Render._render_template_qweb_view(
                "mail.message_activity_done",
                self._name,
                [activity.res_id],
                add_context={
                    "activity": activity,
                    "feedback": feedback,
                    "display_assignee": activity.user_id != self.env.user,
                },
            )[activity.res_id]
            values.append(
                {
                    "author_id": author_id,
                    "email_from": email_from,
                    "model": self._name,
                    "res_id": activity.res_id,
                    "record_alias_domain_id": False,
                    "record_company_id": False,
                    "body": body,
                    "message_type": "notification",
                    "subtype_id": subtype_id,
                    "mail_activity_type_id": activity.activity_type_id.id,
                    "email_add_signature": False,
                    "message_id": generate_tracking_message_id("message-notify"),
                    "reply_to": reply_to,
                }
            )
        # sudo: as Odoo's _message_log_batch, the procedure's own messages
        # on orders the caller may act on.
        self.sudo()._message_create(values)

    def _is_own_order(self, user):
        """Whether ``user`` created the order while the company wants another
        person to approve it."""
        self.ensure_one()
        return self.company_id.order_reviewer_not_creator and self.create_uid == user

    def _get_approval_problems(self):
        """What stops the current user from approving the orders, in words."""
        problems = []
        for order in self:
            if order._is_own_order(self.env.user):
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
        return problems

    def _return_for_revision(self, reason):
        """Back to the receiver; the customer is told why."""
        self._set_review_state(
            {"review_state": "returned", "review_return_reason": reason}
        )
        for lang, orders in self._group_by_procedure_lang().items():
            orders = orders.with_context(lang=lang)
            orders._close_review_activities(orders.env._("Returned for revision"))
        template = self.env.ref("order_mgmt_procedure.mail_template_order_returned")
        for order in self:
            order.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    # === BUSINESS METHODS: upgrade === #

    @api.model
    def _upgrade_review_texts(self):
        """Run by the upgrade to 19.0.1.1.0 (migrations/): brings what
        earlier versions stored in their writer's language to texts worded
        when read. Nothing to do on a new database."""
        # Review activities showed the type's summary, copied in the
        # language of whoever submitted: they now show the type's name.
        review_type = self.env.ref(REVIEW_ACTIVITY, raise_if_not_found=False)
        shipped_summary = "Review the order"
        if (
            review_type
            and review_type.with_context(lang="en_US").summary == shipped_summary
        ):
            summaries = {
                review_type.with_context(lang=lang).summary
                for lang, __ in self.env["res.lang"].get_installed()
            }
            self.env["mail.activity"].search(
                [
                    ("activity_type_id", "=", review_type.id),
                    ("summary", "in", list(summaries)),
                ]
            ).write({"summary": False})
            review_type.summary = False
        cr = self.env.cr
        # The checklist's messages were stored as text: kept as they were.
        if column_exists(cr, "sale_order_review_line", "message"):
            cr.execute(
                SQL(
                    """UPDATE sale_order_review_line
                          SET message_data = jsonb_build_array(jsonb_build_object(
                              'code', 'text',
                              'params', jsonb_build_object('text', message)))
                        WHERE message_data IS NULL AND message IS NOT NULL"""
                )
            )
        # The automatic checks were recorded as checked by the user whose
        # change ran them: the system checked them.
        cr.execute(
            SQL(
                """UPDATE sale_order_review_line line
                      SET checked_by_id = NULL
                     FROM order_review_rule rule
                    WHERE rule.id = line.rule_id
                      AND rule.check_type != 'manual'
                      AND line.checked_by_id IS NOT NULL"""
            )
        )
        self.env["sale.order.review.line"].invalidate_model(
            ["message_data", "checked_by_id"]
        )
