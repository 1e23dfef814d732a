from odoo import fields, models
from odoo.tools import SQL

from ..models.order_priority_rule import PRIORITIES
from ..models.sale_order_reception import ORDER_CHANNELS


class StockPickingDeliveryReport(models.Model):
    """One row per delivery shipped to a customer: its carrier, the logistics
    exceptions recorded on it and how long it took to arrive."""

    _name = "stock.picking.delivery.report"
    _inherit = ["order.procedure.report.mixin"]
    _description = "Delivery and Logistics Exception Analysis"
    _auto = False
    _order = "date_done desc, id desc"
    _rec_name = "picking_id"
    # Flushed before the view is read.
    _depends = {
        "stock.picking": [
            "sale_id",
            "date_done",
            "company_id",
            "carrier_id",
            "picking_type_id",
            "partner_id",
            "state",
        ],
        "sale.order": ["order_channel", "priority", "user_id", "completed_date"],
        "stock.picking.logistics.event": [
            "picking_id",
            "event_type",
            "is_exception",
            "state",
            "date",
        ],
    }

    picking_id = fields.Many2one("stock.picking", string="Delivery", readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    date_done = fields.Datetime(string="Shipped On", readonly=True)
    delivered_date = fields.Datetime(
        string="Delivered On",
        readonly=True,
        help="The first 'delivered' logistics event, else the customer's sign-off.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Recipient", readonly=True)
    order_channel = fields.Selection(ORDER_CHANNELS, string="Channel", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    exception_count = fields.Integer(string="Exceptions", readonly=True)
    delayed_count = fields.Integer(string="Delays", readonly=True)
    lost_count = fields.Integer(string="Losses", readonly=True)
    damaged_count = fields.Integer(string="Damages", readonly=True)
    open_exception_count = fields.Integer(string="Open Exceptions", readonly=True)
    has_exception = fields.Boolean(string="With Exception", readonly=True)
    exception_rate = fields.Float(
        string="Deliveries with an Exception (%)",
        readonly=True,
        aggregator="avg",
    )
    transit_hours = fields.Float(
        string="Hours in Transit", readonly=True, aggregator="avg"
    )
    transit_hours_median = fields.Float(
        string="Hours in Transit (Median)", readonly=True, aggregator="median"
    )

    def init(self):
        self._create_view(
            SQL(
                """
                SELECT sp.id AS id,
                       sp.id AS picking_id,
                       sp.sale_id AS order_id,
                       sp.date_done AS date_done,
                       arrival.delivered_date AS delivered_date,
                       sp.company_id AS company_id,
                       sp.carrier_id AS carrier_id,
                       spt.warehouse_id AS warehouse_id,
                       sp.partner_id AS partner_id,
                       so.order_channel AS order_channel,
                       so.priority AS priority,
                       so.user_id AS user_id,
                       COALESCE(events.exceptions, 0) AS exception_count,
                       COALESCE(events.delays, 0) AS delayed_count,
                       COALESCE(events.losses, 0) AS lost_count,
                       COALESCE(events.damages, 0) AS damaged_count,
                       COALESCE(events.open_exceptions, 0) AS open_exception_count,
                       COALESCE(events.exceptions, 0) > 0 AS has_exception,
                       CASE WHEN COALESCE(events.exceptions, 0) > 0
                            THEN 100.0 ELSE 0.0 END AS exception_rate,
                       arrival.transit_hours AS transit_hours,
                       arrival.transit_hours AS transit_hours_median
                  FROM stock_picking sp
                  JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
             LEFT JOIN sale_order so ON so.id = sp.sale_id
             LEFT JOIN LATERAL (
                       SELECT COUNT(*) FILTER (WHERE e.is_exception) AS exceptions,
                              COUNT(*) FILTER (WHERE e.event_type = 'delayed')
                                  AS delays,
                              COUNT(*) FILTER (WHERE e.event_type = 'lost')
                                  AS losses,
                              COUNT(*) FILTER (WHERE e.event_type = 'damaged')
                                  AS damages,
                              COUNT(*) FILTER (WHERE e.is_exception
                                               AND e.state = 'open')
                                  AS open_exceptions,
                              MIN(e.date) FILTER (WHERE e.event_type = 'delivered')
                                  AS delivered
                         FROM stock_picking_logistics_event e
                        WHERE e.picking_id = sp.id
                       ) events ON TRUE
             CROSS JOIN LATERAL (
                       SELECT COALESCE(events.delivered, so.completed_date)
                              AS delivered_date
                       ) arrived
             CROSS JOIN LATERAL (
                       -- An arrival recorded before the shipment is a typing
                       -- error, not a transit time.
                       SELECT arrived.delivered_date,
                              CASE WHEN arrived.delivered_date >= sp.date_done
                                   THEN EXTRACT(EPOCH FROM arrived.delivered_date
                                                - sp.date_done)::float8 / 3600
                              END AS transit_hours
                       ) arrival
                 WHERE spt.code = 'outgoing'
                   AND sp.state = 'done'
                """
            )
        )
