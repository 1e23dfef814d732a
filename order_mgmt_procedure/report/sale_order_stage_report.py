from odoo import fields, models
from odoo.tools import SQL

from ..models.order_priority_rule import PRIORITIES
from ..models.sale_order import PROCEDURE_STAGES
from ..models.sale_order_reception import ORDER_CHANNELS


class SaleOrderStageReport(models.Model):
    """One row per stay of an order in a procedure stage, with the order's
    dimensions. Durations count once the order has left the stage; the
    median and 90th-percentile measures are computed over the rows of each
    group the user picks (see the report mixin)."""

    _name = "sale.order.stage.report"
    _inherit = ["order.procedure.report.mixin"]
    _description = "Procedure Stage Analysis"
    _auto = False
    _order = "date_start desc, id desc"
    _rec_name = "order_id"
    # Flushed before the view is read.
    _depends = {
        "sale.order.stage.history": [
            "order_id",
            "stage",
            "date_start",
            "date_end",
            "company_id",
            "duration_hours",
            "working_hours",
            "review_deadline",
            "user_id",
            "end_user_id",
        ],
        "sale.order": [
            "order_channel",
            "priority",
            "review_user_id",
            "user_id",
            "team_id",
            "partner_id",
            "warehouse_id",
            "carrier_id",
        ],
        "stock.picking": ["sale_id", "carrier_id"],
        "mail.activity": ["res_model", "res_id", "activity_type_id", "user_id"],
    }

    order_id = fields.Many2one("sale.order", readonly=True)
    stage = fields.Selection(PROCEDURE_STAGES, readonly=True)
    date_start = fields.Datetime(string="Entered On", readonly=True)
    date_end = fields.Datetime(string="Left On", readonly=True)
    is_open = fields.Boolean(
        string="Still in Stage",
        readonly=True,
        help="The order is still in this stage: its time in it is not counted yet.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    order_channel = fields.Selection(ORDER_CHANNELS, string="Channel", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    reviewer_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="For a stay in review: who approved or returned the order, or who "
        "has it to review. For the other stages: who approved the order.",
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    carrier_id = fields.Many2one(
        "delivery.carrier",
        readonly=True,
        help="The carrier of the order's latest delivery, else its shipping method.",
    )
    changed_by_id = fields.Many2one(
        "res.users",
        string="Moved In By",
        readonly=True,
        help="Who moved the order into this stage.",
    )
    duration_hours = fields.Float(
        string="Hours in Stage", readonly=True, aggregator="avg"
    )
    duration_hours_median = fields.Float(
        string="Hours in Stage (Median)", readonly=True, aggregator="median"
    )
    duration_hours_p90 = fields.Float(
        string="Hours in Stage (90th Percentile)", readonly=True, aggregator="p90"
    )
    working_hours = fields.Float(
        string="Working Hours in Stage", readonly=True, aggregator="avg"
    )
    working_hours_median = fields.Float(
        string="Working Hours (Median)", readonly=True, aggregator="median"
    )
    working_hours_p90 = fields.Float(
        string="Working Hours (90th Percentile)", readonly=True, aggregator="p90"
    )
    review_deadline = fields.Datetime(string="Review Due", readonly=True)
    review_in_target_rate = fields.Float(
        string="Reviewed within Target (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the finished reviews approved or returned before the "
        "company's review target (in working hours) was reached.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        readonly=True,
        help="A review that went, or is going, past the review target.",
    )

    def init(self):
        closed = SQL("h.date_end IS NOT NULL")
        self._create_view(
            SQL(
                """
                SELECT h.id AS id,
                       h.order_id AS order_id,
                       h.stage AS stage,
                       h.date_start AS date_start,
                       h.date_end AS date_end,
                       h.date_end IS NULL AS is_open,
                       h.company_id AS company_id,
                       so.order_channel AS order_channel,
                       so.priority AS priority,
                       CASE WHEN h.stage = 'in_review'
                            THEN COALESCE(h.end_user_id, review.user_id)
                            ELSE COALESCE(so.review_user_id, review.user_id)
                       END AS reviewer_id,
                       so.user_id AS user_id,
                       so.team_id AS team_id,
                       so.partner_id AS partner_id,
                       so.warehouse_id AS warehouse_id,
                       COALESCE(delivery.carrier_id, so.carrier_id) AS carrier_id,
                       h.user_id AS changed_by_id,
                       CASE WHEN %(closed)s THEN h.duration_hours END
                           AS duration_hours,
                       CASE WHEN %(closed)s THEN h.duration_hours END
                           AS duration_hours_median,
                       CASE WHEN %(closed)s THEN h.duration_hours END
                           AS duration_hours_p90,
                       CASE WHEN %(closed)s THEN h.working_hours END
                           AS working_hours,
                       CASE WHEN %(closed)s THEN h.working_hours END
                           AS working_hours_median,
                       CASE WHEN %(closed)s THEN h.working_hours END
                           AS working_hours_p90,
                       h.review_deadline AS review_deadline,
                       CASE WHEN h.stage = 'in_review' AND %(closed)s
                                 AND h.review_deadline IS NOT NULL
                            THEN CASE WHEN h.date_end <= h.review_deadline
                                      THEN 100.0 ELSE 0.0 END
                       END AS review_in_target_rate,
                       COALESCE(
                           h.stage = 'in_review'
                           AND COALESCE(h.date_end, now() AT TIME ZONE 'UTC')
                               > h.review_deadline,
                           FALSE
                       ) AS is_overdue
                  FROM sale_order_stage_history h
                  JOIN sale_order so ON so.id = h.order_id
             LEFT JOIN LATERAL (
                       SELECT sp.carrier_id
                         FROM stock_picking sp
                        WHERE sp.sale_id = so.id AND sp.carrier_id IS NOT NULL
                     ORDER BY sp.id DESC
                        LIMIT 1
                       ) delivery ON TRUE
             LEFT JOIN LATERAL (
                       SELECT act.user_id
                         FROM mail_activity act
                         JOIN ir_model_data imd
                           ON imd.model = 'mail.activity.type'
                          AND imd.module = 'order_mgmt_procedure'
                          AND imd.name = 'mail_activity_type_order_review'
                          AND imd.res_id = act.activity_type_id
                        WHERE act.res_model = 'sale.order'
                          AND act.res_id = so.id
                          AND act.active IS NOT FALSE
                     ORDER BY act.id DESC
                        LIMIT 1
                       ) review ON TRUE
                """,
                closed=closed,
            )
        )
