"""Delivery and after-sales (stages Shipped and Completed): logistics
exceptions, customer sign-off, rating, the after-sales window."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from ..tools.cron import commit_batch, run_backlog
from ..tools.text import join_items


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # What the window-closing scheduled action searches: only the orders still
    # open, not every order ever completed, in the order of its batches (the
    # id within a day: a day's windows are not sorted again at each batch).
    _after_sales_open_idx = models.Index(
        "(after_sales_deadline, id) WHERE after_sales_closed IS NOT TRUE"
    )

    # === FIELDS === #

    # Odoo's salespeople without a procedure role open orders too: what they
    # may not read is left out of their screens.
    logistics_event_ids = fields.One2many(
        "stock.picking.logistics.event",
        "sale_id",
        string="Logistics Events",
        groups="order_mgmt_procedure.group_order_receiver,stock.group_stock_user",
    )
    logistics_exception = fields.Boolean(
        compute="_compute_logistics_exception",
        store=True,
        index=True,
        help="A delivery of the order has an open delay, loss or damage.",
    )
    can_sign_off = fields.Boolean(compute="_compute_can_sign_off")
    completed_date = fields.Datetime(
        string="Completed On",
        copy=False,
        readonly=True,
        tracking=True,
        help="When the customer signed for the goods; the after-sales window "
        "starts here.",
    )
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

    # === COMPUTE METHODS === #

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
                order._get_completion_day(), days=days
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

    @api.depends("rating_ids.rating", "rating_ids.feedback", "rating_ids.consumed")
    def _compute_rating(self):
        for order in self:
            rating = order.rating_ids.filtered("consumed").sorted("write_date")[-1:]
            order.rating_score = rating.rating
            order.rating_comment = rating.feedback

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        return {
            **super()._get_procedure_fact_fields(),
            "completed_date": self.env._("Customer Signed Off"),
            "after_sales_closed": self.env._(
                "the scheduled action closing the after-sales windows"
            ),
        }

    # === ACTION METHODS === #

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
        self._check_shipped()
        for order in self:
            order._sign_off(user.partner_id)
        return True

    # === BUSINESS METHODS === #

    def _get_completion_day(self):
        """The day the order was completed where its company works (the time
        zone of its working time): a sign-off in the evening in Shanghai is
        that day's, not the UTC day's."""
        self.ensure_one()
        tz = self.company_id.resource_calendar_id.tz or "UTC"
        return fields.Date.context_today(self.with_context(tz=tz), self.completed_date)

    def _check_shipped(self):
        """Refuse orders that cannot be signed off: not shipped, or signed."""
        not_shipped = self.filtered(lambda o: o.procedure_stage != "shipped")
        if not_shipped:
            raise UserError(
                self.env._(
                    "Only shipped orders can be signed off: %(orders)s.",
                    orders=join_items(self.env, not_shipped.mapped("display_name")),
                )
            )

    def _sign_off(self, signer):
        """Record the receipt of the goods; callers check who may sign."""
        self._lock_procedure_step()
        self._check_shipped()
        # sudo: a customer signing off on the portal may not write orders.
        self.sudo()._write_procedure_facts({"completed_date": fields.Datetime.now()})
        # sudo: as above; the note in the company's language.
        order = self.sudo()._with_procedure_lang()
        order.message_post(
            body=order.env._(
                "Signed off by %(user)s: the goods were received.",
                user=signer.display_name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        # Feedback is asked at completion, with Odoo's rating pages.
        template = self.env.ref("order_mgmt_procedure.mail_template_order_rating")
        self.sudo().rating_send_request(template, force_send=False)

    @api.model
    def _cron_close_after_sales_windows(self, batch_size=500):
        """Note on each order whose after-sales window ended, in batches: a
        constant number of queries per batch. Run by the scheduler, each batch
        is committed with the progress; a run whose time is up stops after
        its batch, and the next run finds only the windows still open.
        Returns the number of windows closed."""
        today = fields.Date.context_today(self)
        domain = Domain(
            [
                ("after_sales_deadline", "<", today),
                ("after_sales_closed", "=", False),
            ]
        )
        # The progress: the backlog counted once, not at each run.
        total = run_backlog(self.env, lambda: self.search_count(domain))
        closed = 0
        after = None
        while True:
            # In the order of the index of open windows, from the last order
            # of the batch before: the windows it closed stay in the index
            # until PostgreSQL cleans them up, which it cannot do while the
            # scheduler's run is open; they are not read again.
            orders = self.search(
                domain & self._after_window(after) if after else domain,
                order="after_sales_deadline, id",
                limit=batch_size,
            )
            if not orders:
                return closed
            orders._close_after_sales_windows()
            # Notes of a scheduled action: in each company's language.
            bodies = {}
            for order in orders:
                env = order._with_procedure_lang().env
                bodies[order.id] = env._(
                    "After-sales window closed on %(date)s.",
                    date=format_date(env, order.after_sales_deadline),
                )
            orders._message_log_batch(bodies=bodies)
            after = (orders[-1].after_sales_deadline, orders[-1].id)
            closed += len(orders)
            last = len(orders) < batch_size
            remaining = 0 if last else max(total - closed, 0)
            if not commit_batch(self.env, len(orders), remaining) or last:
                return closed
            # Each batch is kept, and memory stays flat, whatever the backlog.
            orders.invalidate_recordset()

    def _close_after_sales_windows(self):
        """Mark the orders' after-sales windows closed, in one statement.
        No field depends on the flag and it is not tracked
        (test_nothing_depends_on_the_window_closing): Odoo's write would
        have nothing to do but run every module's write override on the
        batch's orders, some of them order by order (OCA's tier validation
        searches its exceptions for each order: two queries an order), and
        read every tracked field for Odoo's tracking."""
        if not self:
            return
        written = ["after_sales_closed", "write_uid", "write_date"]
        # What the cache still has to write of these fields goes first: its
        # flush at the invalidation below would write over the statement.
        self.flush_recordset(written)
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_order
                   SET after_sales_closed = TRUE, write_uid = %s, write_date = %s
                 WHERE id IN %s
                """,
                self.env.uid,
                self.env.cr.now(),
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(written)

    @api.model
    def _after_window(self, after):
        """The orders after ``after`` (deadline, id) in the order of the index
        of open windows: one range of the index (a row comparison), which a
        domain's "or" of the deadline and the id would not give."""
        deadline, order_id = after

        def to_sql(model, alias, query):
            return SQL(
                "(%s, %s) > (%s, %s)",
                model._field_to_sql(alias, "after_sales_deadline", query),
                model._field_to_sql(alias, "id", query),
                deadline,
                order_id,
            )

        return Domain.custom(
            to_sql=to_sql,
            predicate=lambda order: (
                (order.after_sales_deadline, order.id) > (deadline, order_id)
            ),
        )
