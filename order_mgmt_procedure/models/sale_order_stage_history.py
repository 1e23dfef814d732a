import datetime as dt
import math
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..tools.work_schedule import WorkSchedule
from .sale_order import PROCEDURE_STAGES


class SaleOrderStageHistory(models.Model):
    _name = "sale.order.stage.history"
    _description = "Procedure Stage of an Order over Time"
    _order = "date_start, id"
    _rec_names_search = ["order_id"]

    order_id = fields.Many2one(
        "sale.order",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, index=True, readonly=True
    )
    stage = fields.Selection(PROCEDURE_STAGES, required=True, readonly=True, index=True)
    # Not "From"/"To": those words are the sender and recipient of the
    # shipping label, and one source word has one translation.
    date_start = fields.Datetime(
        string="Entered On", required=True, readonly=True, index=True
    )
    date_end = fields.Datetime(
        string="Left On",
        readonly=True,
        help="Empty while the order is in this stage.",
    )
    duration_hours = fields.Float(
        string="Duration (Hours)",
        compute="_compute_durations",
        store=True,
        readonly=True,
        aggregator="avg",
        help="Hours from entering the stage to leaving it, nights and weekends "
        "included. Zero while the order is in the stage.",
    )
    working_hours = fields.Float(
        compute="_compute_durations",
        store=True,
        readonly=True,
        aggregator="avg",
        help="Working hours on the company's calendar (its public holidays left "
        "out) from entering the stage to leaving it. Zero while the order is in "
        "the stage.",
    )
    review_deadline = fields.Datetime(
        string="Review Due",
        compute="_compute_durations",
        store=True,
        readonly=True,
        help="For a stay in review: when the company's review target (in working "
        "hours) is reached. A review ended later, or still open after it, missed "
        "the target.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Changed By",
        readonly=True,
        index="btree_not_null",
        help="Who moved the order into this stage.",
    )
    end_user_id = fields.Many2one(
        "res.users",
        string="Ended By",
        readonly=True,
        index="btree_not_null",
        help="Who moved the order out of this stage: for a review, the reviewer "
        "who approved or returned it.",
    )

    # The history is read by order and stage (timeline, reports) and an order
    # is in one stage at a time: a second open row would be a duplicate.
    _order_stage_idx = models.Index("(order_id, stage)")
    _one_open_stage = models.UniqueIndex(
        "(order_id) WHERE date_end IS NULL",
        "An order is in one procedure stage at a time.",
    )

    @api.depends("order_id.name", "stage")
    def _compute_display_name(self):
        labels = dict(self._fields["stage"]._description_selection(self.env))
        for row in self:
            row.display_name = f"{row.order_id.name}: {labels.get(row.stage, '')}"

    @api.depends("date_start", "date_end", "stage", "company_id")
    def _compute_durations(self):
        spans, starts = {}, {}
        for row in self:
            if row.date_start and row.date_end:
                spans[row] = (row.company_id.id, row.date_start, row.date_end)
            if row.date_start and row.stage == "in_review":
                starts[row] = (row.company_id.id, row.date_start)
        hours, deadlines = self._get_work_times(spans, starts)
        for row in self:
            row.duration_hours, row.working_hours = hours.get(row, (0.0, 0.0))
            row.review_deadline = deadlines.get(row, False)

    @api.model
    def _get_work_times(self, spans, starts):
        """Durations of ``spans`` ({key: (company id, start, end)}) as (hours,
        working hours), and review deadlines of stays in review starting at
        ``starts`` ({key: (company id, start)}): one read of each calendar
        for the whole batch."""
        # sudo: calendars and the review target are company settings, read for
        # the procedure's own bookkeeping whoever's change moved the order.
        company_ids = {company_id for company_id, *__ in spans.values()} | {
            company_id for company_id, __ in starts.values()
        }
        companies = (
            self.env["res.company"].sudo().browse(sorted(filter(None, company_ids)))
        )
        calendars = {company.id: company.resource_calendar_id for company in companies}
        targets = {company.id: company.review_target_hours for company in companies}
        bounds = {}

        def widen(calendar, start, end):
            if calendar:
                low, high = bounds.get(calendar, (start, end))
                bounds[calendar] = (min(low, start), max(high, end))

        for company_id, start, end in spans.values():
            widen(calendars.get(company_id), start, end)
        for company_id, start in starts.values():
            # Far enough ahead for the target, weekends and holidays.
            ahead = timedelta(days=14 + math.ceil(targets.get(company_id, 0) / 4))
            widen(calendars.get(company_id), start, start + ahead)
        schedules = {
            calendar: self._get_work_schedule(calendar, start, end)
            for calendar, (start, end) in bounds.items()
        }
        hours = {}
        for key, (company_id, start, end) in spans.items():
            elapsed = max((end - start).total_seconds() / 3600, 0.0)
            schedule = schedules.get(calendars.get(company_id))
            # Without a calendar every hour is a working hour.
            hours[key] = (elapsed, schedule.hours(start, end) if schedule else elapsed)
        deadlines = {}
        for key, (company_id, start) in starts.items():
            target = targets.get(company_id, 0.0)
            schedule = schedules.get(calendars.get(company_id))
            deadlines[key] = (
                schedule.reach(start, target)
                if schedule
                else start + timedelta(hours=target)
            )
        return hours, deadlines

    @api.model
    def _get_work_schedule(self, calendar, start, end):
        """The working time of ``calendar`` over whole months around
        ``start`` and ``end``: kept by the registry (see
        _get_month_schedule), so the stage changes of the next orders do not
        read the calendar again."""
        first = dt.date(start.year, start.month, 1)
        # The first day of the month after ``end``'s.
        last = (dt.date(end.year, end.month, 1) + timedelta(days=32)).replace(day=1)
        return self._get_month_schedule(calendar.id, first, last)

    @api.model
    @tools.ormcache("calendar_id", "first", "last")
    def _get_month_schedule(self, calendar_id, first, last):
        """The calendar's working time from the day ``first`` to the day
        ``last``, its public holidays left out. Emptied with the registry's
        caches by every change of a calendar, its hours or its leaves
        (resource_calendar.py)."""
        # sudo: calendars are company settings, read for the procedure's
        # bookkeeping whoever's change moved the order.
        calendar = self.env["resource.calendar"].sudo().browse(calendar_id)
        return WorkSchedule(
            calendar,
            dt.datetime.combine(first, dt.time.min),
            dt.datetime.combine(last, dt.time.min),
        )

    # ------------------------------------------------------------------
    # Writing the history where the stage is stored
    # ------------------------------------------------------------------

    @api.model
    def _read_current_stages(self, order_ids):
        """Before the stage is written: each order's stored stage, creation,
        company and open history row, in one query."""
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT o.id, o.procedure_stage, o.create_date, o.create_uid,
                       o.company_id, h.id, h.stage, h.date_start
                  FROM sale_order o
             LEFT JOIN sale_order_stage_history h
                    ON h.order_id = o.id AND h.date_end IS NULL
                 WHERE o.id = ANY(%s)
                """,
                list(order_ids),
            )
        )
        current = {}
        for order_id, stage, created, creator, company_id, *open_row in rows:
            info = current.setdefault(
                order_id,
                {
                    "stored_stage": stage,
                    "create_date": created,
                    "create_uid": creator,
                    "company_id": company_id,
                    "open": [],
                },
            )
            if open_row[0]:
                info["open"].append(tuple(open_row))
        return current

    @api.model
    def _log_stage_changes(self, new_stages, current):
        """Close the open row and open one for the new stage of each order
        whose stage changed: one UPDATE and one INSERT for the batch.
        ``new_stages``: {order id: stage written}; ``current``: what
        ``_read_current_stages`` read before the write."""
        now = fields.Datetime.now()
        transaction_start = self.env.cr.now()
        uid = self.env.uid
        to_close, to_open = {}, []
        for order_id, stage in new_stages.items():
            info = current.get(order_id)
            if not info:
                continue
            open_rows = info["open"]
            if len(open_rows) == 1 and open_rows[0][1] == stage:
                continue  # recomputed to the same stage: nothing happened
            for row_id, __, row_start in open_rows:
                to_close[row_id] = (info["company_id"], row_start, now)
            if not stage:
                continue
            start, user = now, uid
            if (
                not open_rows
                and not info["stored_stage"]
                and info["create_date"] < transaction_start
            ):
                # The order existed before its stage was stored (the module
                # was installed after it): it has been in it since creation.
                start, user = info["create_date"], info["create_uid"]
            to_open.append(
                {
                    "order_id": order_id,
                    "company_id": info["company_id"],
                    "stage": stage,
                    "date_start": start,
                    "user_id": user,
                }
            )
        if to_close or to_open:
            self._write_rows(to_close, to_open, now, uid)

    @api.model
    def _write_rows(self, to_close, to_open, now, uid):
        """``to_close``: {row id: (company id, start, end)}; ``to_open``: list
        of dicts (order_id, company_id, stage, date_start, user_id, and
        date_end, end_user_id for rows that are closed already)."""
        spans = dict(to_close)
        starts = {}
        for index, row in enumerate(to_open):
            if row.get("date_end"):
                spans[index] = (row["company_id"], row["date_start"], row["date_end"])
            if row["stage"] == "in_review":
                starts[index] = (row["company_id"], row["date_start"])
        hours, deadlines = self._get_work_times(spans, starts)
        close = open_ = None
        if to_close:
            close = SQL(
                """
                UPDATE sale_order_stage_history h
                   SET date_end = v.date_end, duration_hours = v.duration,
                       working_hours = v.working, end_user_id = %(uid)s,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM (VALUES %(values)s)
                       AS v(id, date_end, duration, working)
                 WHERE h.id = v.id
             RETURNING h.id
                """,
                uid=uid,
                now=now,
                values=SQL(", ").join(
                    SQL(
                        "(%s, %s::timestamp, %s::float8, %s::float8)",
                        row_id,
                        end,
                        *hours[row_id],
                    )
                    for row_id, (__, __, end) in to_close.items()
                ),
            )
        if to_open:
            open_ = SQL(", ").join(
                SQL(
                    """(%s::int4, %s::int4, %s::varchar, %s::timestamp,
                        %s::timestamp, %s::float8, %s::float8, %s::timestamp,
                        %s::int4, %s::int4, %s::int4, %s::timestamp, %s::int4,
                        %s::timestamp)""",
                    row["order_id"],
                    row["company_id"],
                    row["stage"],
                    row["date_start"],
                    row.get("date_end"),
                    *hours.get(index, (0.0, 0.0)),
                    deadlines.get(index),
                    row["user_id"],
                    row.get("end_user_id"),
                    uid,
                    now,
                    uid,
                    now,
                )
                for index, row in enumerate(to_open)
            )
        columns = SQL(
            """sale_order_stage_history
                (order_id, company_id, stage, date_start, date_end,
                 duration_hours, working_hours, review_deadline,
                 user_id, end_user_id,
                 create_uid, create_date, write_uid, write_date)"""
        )
        if close and open_:
            # One statement for both. The new rows are inserted once the old
            # ones are closed (they wait for the closed ids): an order has one
            # open row (_one_open_stage).
            self.env.execute_query(
                SQL(
                    """
                    WITH closed AS (%s)
                    INSERT INTO %s
                    SELECT * FROM (VALUES %s) AS v
                     WHERE (SELECT COUNT(*) FROM closed) >= 0
                    """,
                    close,
                    columns,
                    open_,
                )
            )
        elif close:
            self.env.execute_query(close)
        elif open_:
            self.env.execute_query(SQL("INSERT INTO %s VALUES %s", columns, open_))
        # The rows were written behind the ORM's back.
        self.invalidate_model(flush=False)
        self.env["sale.order"].browse(
            {row["order_id"] for row in to_open}
        ).invalidate_recordset(["stage_history_ids"], flush=False)

    # ------------------------------------------------------------------
    # Rebuilding the history of orders that have none
    # ------------------------------------------------------------------

    def init(self):
        # After every table of the module exists (new columns included),
        # whether the module is installed or upgraded to this version.
        self.pool.post_init(self._rebuild_missing_history)

    def _rebuild_missing_history(self):
        """Orders with a stage and no history (those that existed before the
        history did) get it back from the stage changes tracked in their
        chatter; without any, one row from their creation in their stage."""
        # At install the stage of existing orders is computed now, which
        # writes their first row the usual way.
        self.env["sale.order"].flush_model(["procedure_stage"])
        orders = self.env.execute_query(
            SQL(
                """
                SELECT o.id, o.procedure_stage, o.create_date, o.create_uid,
                       o.company_id
                  FROM sale_order o
                 WHERE o.procedure_stage IS NOT NULL
                   AND NOT EXISTS (
                       SELECT 1 FROM sale_order_stage_history h
                        WHERE h.order_id = o.id)
                """
            )
        )
        if not orders:
            return 0
        changes = self._read_tracked_stage_changes([row[0] for row in orders])
        rows = []
        for order_id, stage, create_date, create_uid, company_id in orders:
            segments = []
            current, start, user = None, create_date, create_uid
            for date, author, old, new in changes.get(order_id, ()):
                current = current or old
                # A first stage with nothing before it (set when the module
                # was installed) is the one the order had since creation.
                if current and date >= start:
                    segments.append((current, start, date, user, author))
                    start, user = date, author
                current = new
            # The stored stage is the truth: a tracked stage that differs
            # from it ended at a time nobody recorded.
            segments.append((stage, start, None, user, None))
            rows.extend(
                {
                    "order_id": order_id,
                    "company_id": company_id,
                    "stage": seg_stage,
                    "date_start": seg_start,
                    "date_end": seg_end,
                    "user_id": seg_user,
                    "end_user_id": seg_end_user,
                }
                for seg_stage, seg_start, seg_end, seg_user, seg_end_user in segments
                if seg_stage
            )
        self._write_rows({}, rows, fields.Datetime.now(), self.env.uid)
        return len(orders)

    @api.model
    def _read_tracked_stage_changes(self, order_ids):
        """{order id: [(date, user id, old stage, new stage)]} from the
        chatter's tracking of the stage, oldest first. Tracking keeps the
        labels, in the language of whoever made the change: they are mapped
        back to stages through every installed translation."""
        field = self.env["ir.model.fields"]._get("sale.order", "procedure_stage")
        if not field:
            return {}
        keys = {}
        for value, names in self.env.execute_query(
            SQL(
                "SELECT value, name FROM ir_model_fields_selection WHERE field_id = %s",
                field.id,
            )
        ):
            for label in (names or {}).values():
                keys[label] = value
        for value, label in PROCEDURE_STAGES:
            keys.setdefault(label, value)
        changes = defaultdict(list)
        for res_id, date, author, old, new in self.env.execute_query(
            SQL(
                """
                SELECT m.res_id, m.date, m.create_uid,
                       v.old_value_char, v.new_value_char
                  FROM mail_tracking_value v
                  JOIN mail_message m ON m.id = v.mail_message_id
                 WHERE v.field_id = %s
                   AND m.model = 'sale.order'
                   AND m.res_id = ANY(%s)
              ORDER BY m.res_id, m.date, m.id, v.id
                """,
                field.id,
                list(order_ids),
            )
        ):
            changes[res_id].append((date, author, keys.get(old), keys.get(new)))
        return changes
