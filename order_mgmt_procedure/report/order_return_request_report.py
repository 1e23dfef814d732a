from odoo import fields, models
from odoo.tools import SQL

from ..models.order_priority_rule import PRIORITIES
from ..models.order_return_request import REQUEST_STATES, REQUEST_TYPES
from ..models.sale_order_reception import ORDER_CHANNELS


class OrderReturnRequestReport(models.Model):
    """One row per return or exchange request: was it processed (return) or
    delivered (exchange) by its deadline, counted in working days from its
    approval (``return_sla_days``, ``exchange_sla_days``)?"""

    _name = "order.return.request.report"
    _inherit = ["order.procedure.report.mixin"]
    _description = "Return and Exchange SLA Analysis"
    _auto = False
    _order = "approved_date desc, id desc"
    _rec_name = "name"
    # Flushed before the view is read.
    _depends = {
        "order.return.request": [
            "name",
            "order_id",
            "request_type",
            "state",
            "company_id",
            "partner_id",
            "picking_id",
            "approved_by_id",
            "approved_date",
            "deadline",
            "done_date",
            "exchange_picking_id",
            "exchange_order_id",
        ],
        "sale.order": [
            "order_channel",
            "priority",
            "user_id",
            "warehouse_id",
            "carrier_id",
        ],
        "stock.picking": ["sale_id", "carrier_id", "state", "date_done"],
        "res.company": ["resource_calendar_id"],
    }

    name = fields.Char(string="Reference", readonly=True)
    request_id = fields.Many2one("order.return.request", readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    request_type = fields.Selection(REQUEST_TYPES, string="Type", readonly=True)
    state = fields.Selection(REQUEST_STATES, string="Status", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    order_channel = fields.Selection(ORDER_CHANNELS, string="Channel", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    carrier_id = fields.Many2one(
        "delivery.carrier",
        readonly=True,
        help="The carrier that delivered the goods now returned or exchanged.",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True)
    approved_date = fields.Datetime(string="Approved On", readonly=True)
    deadline = fields.Date(readonly=True)
    completion_date = fields.Datetime(
        string="Completed On",
        readonly=True,
        help="Return: when it was processed (refunded or closed). Exchange: when "
        "the replacement goods were delivered.",
    )
    within_sla_rate = fields.Float(
        string="Within SLA (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the approved requests completed by their deadline; one "
        "still open after its deadline counts as missed, one not due yet is "
        "left out.",
    )
    is_overdue = fields.Boolean(
        string="Overdue",
        readonly=True,
        help="Completed after its deadline, or still open after it.",
    )
    days_to_complete = fields.Float(
        string="Days to Complete", readonly=True, aggregator="avg"
    )
    days_to_complete_median = fields.Float(
        string="Days to Complete (Median)", readonly=True, aggregator="median"
    )

    def init(self):
        self._create_view(
            SQL(
                """
                WITH request AS (
                    SELECT r.*,
                           COALESCE(cal.tz, 'UTC') AS tz,
                           CASE WHEN r.request_type = 'exchange'
                                 AND (r.exchange_picking_id IS NOT NULL
                                      OR r.exchange_order_id IS NOT NULL)
                                 AND (r.exchange_picking_id IS NULL
                                      OR ep.state = 'done')
                                 AND (r.exchange_order_id IS NULL
                                      OR eo.all_done)
                                THEN GREATEST(ep.date_done, eo.date_done)
                                WHEN r.state = 'done'
                                THEN COALESCE(r.done_date, r.write_date)
                           END AS completion_date,
                           delivery.carrier_id AS delivery_carrier_id
                      FROM order_return_request r
                      JOIN res_company c ON c.id = r.company_id
                 LEFT JOIN resource_calendar cal
                        ON cal.id = c.resource_calendar_id
                 LEFT JOIN stock_picking ep ON ep.id = r.exchange_picking_id
                 LEFT JOIN LATERAL (
                           SELECT MAX(sp.date_done) AS date_done,
                                  BOOL_AND(sp.state = 'done') AS all_done
                             FROM stock_picking sp
                             JOIN stock_picking_type spt
                               ON spt.id = sp.picking_type_id
                            WHERE sp.sale_id = r.exchange_order_id
                              AND spt.code = 'outgoing'
                              AND sp.state != 'cancel'
                           ) eo ON TRUE
                 LEFT JOIN LATERAL (
                           SELECT sp.carrier_id
                             FROM stock_picking sp
                             JOIN stock_picking_type spt
                               ON spt.id = sp.picking_type_id
                            WHERE (sp.id = r.picking_id
                                   OR (r.picking_id IS NULL
                                       AND sp.sale_id = r.order_id))
                              AND spt.code = 'outgoing'
                              AND sp.state = 'done'
                         ORDER BY sp.date_done DESC, sp.id DESC
                            LIMIT 1
                           ) delivery ON TRUE
                )
                SELECT r.id AS id,
                       r.name AS name,
                       r.id AS request_id,
                       r.order_id AS order_id,
                       r.request_type AS request_type,
                       r.state AS state,
                       r.company_id AS company_id,
                       r.partner_id AS partner_id,
                       so.order_channel AS order_channel,
                       so.priority AS priority,
                       so.user_id AS user_id,
                       so.warehouse_id AS warehouse_id,
                       COALESCE(r.delivery_carrier_id, so.carrier_id) AS carrier_id,
                       r.approved_by_id AS approved_by_id,
                       r.approved_date AS approved_date,
                       r.deadline AS deadline,
                       r.completion_date AS completion_date,
                       CASE WHEN r.deadline IS NULL THEN NULL
                            WHEN r.completion_date IS NOT NULL
                            THEN CASE WHEN (r.completion_date AT TIME ZONE 'UTC'
                                            AT TIME ZONE r.tz)::date <= r.deadline
                                      THEN 100.0 ELSE 0.0 END
                            WHEN r.state IN ('approved', 'received')
                                 AND r.deadline < (now() AT TIME ZONE r.tz)::date
                            THEN 0.0
                       END AS within_sla_rate,
                       COALESCE(
                           CASE WHEN r.completion_date IS NOT NULL
                                THEN (r.completion_date AT TIME ZONE 'UTC'
                                      AT TIME ZONE r.tz)::date > r.deadline
                                ELSE r.state IN ('approved', 'received')
                                     AND r.deadline < (now() AT TIME ZONE r.tz)::date
                           END,
                           FALSE
                       ) AS is_overdue,
                       EXTRACT(EPOCH FROM r.completion_date - r.approved_date)
                           ::float8 / 86400 AS days_to_complete,
                       EXTRACT(EPOCH FROM r.completion_date - r.approved_date)
                           ::float8 / 86400 AS days_to_complete_median
                  FROM request r
                  JOIN sale_order so ON so.id = r.order_id
                """
            )
        )
