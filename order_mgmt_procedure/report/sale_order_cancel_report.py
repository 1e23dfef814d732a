from odoo import fields, models
from odoo.tools import SQL

from ..models.order_cancel_refund_rule import LOGISTICS_STAGES
from ..models.order_priority_rule import PRIORITIES
from ..models.sale_order import PROCEDURE_STAGES
from ..models.sale_order_reception import ORDER_CHANNELS


class SaleOrderCancelReport(models.Model):
    """One row per cancelled order: where it was in the procedure and where
    its goods were, what it was worth and what was refunded, in the
    company's currency."""

    _name = "sale.order.cancel.report"
    _inherit = ["order.procedure.report.mixin"]
    _description = "Cancellation Analysis"
    _auto = False
    _order = "cancel_date desc, id desc"
    _rec_name = "order_id"
    # Flushed before the view is read.
    _depends = {
        "sale.order": [
            "state",
            "company_id",
            "partner_id",
            "order_channel",
            "priority",
            "user_id",
            "review_user_id",
            "team_id",
            "warehouse_id",
            "carrier_id",
            "amount_total",
            "currency_rate",
            "cancel_logistics_stage",
        ],
        "sale.order.stage.history": ["order_id", "stage", "date_start", "date_end"],
        "account.move": [
            "procedure_refund_order_id",
            "procedure_refund_rule_id",
            "move_type",
            "state",
            "amount_total_signed",
        ],
        "stock.picking": ["sale_id", "carrier_id"],
    }

    order_id = fields.Many2one("sale.order", readonly=True)
    cancel_date = fields.Datetime(string="Cancelled On", readonly=True)
    previous_stage = fields.Selection(
        PROCEDURE_STAGES,
        string="Stage When Cancelled",
        readonly=True,
        help="The procedure stage the order was in before it was cancelled.",
    )
    logistics_stage = fields.Selection(
        LOGISTICS_STAGES,
        readonly=True,
        help="Where the goods were: it chose the refund rule. Orders cancelled "
        "before this was recorded are placed by their stage.",
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    order_channel = fields.Selection(ORDER_CHANNELS, string="Channel", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    reviewer_id = fields.Many2one("res.users", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    carrier_id = fields.Many2one("delivery.carrier", readonly=True)
    amount_total = fields.Monetary(string="Order Amount", readonly=True)
    refund_amount = fields.Monetary(
        string="Refunded",
        readonly=True,
        help="Credit notes of the cancellation, drafts included.",
    )
    refund_count = fields.Integer(string="Credit Notes", readonly=True)

    def init(self):
        self._create_view(
            SQL(
                """
                SELECT so.id AS id,
                       so.id AS order_id,
                       COALESCE(cancelled.date_start, so.write_date) AS cancel_date,
                       previous.stage AS previous_stage,
                       COALESCE(
                           so.cancel_logistics_stage,
                           refund_rule.logistics_stage,
                           CASE previous.stage
                                WHEN 'shipped' THEN 'shipped'
                                WHEN 'completed' THEN 'delivered'
                                ELSE 'not_shipped'
                           END
                       ) AS logistics_stage,
                       so.company_id AS company_id,
                       c.currency_id AS currency_id,
                       so.partner_id AS partner_id,
                       so.order_channel AS order_channel,
                       so.priority AS priority,
                       so.user_id AS user_id,
                       so.review_user_id AS reviewer_id,
                       so.team_id AS team_id,
                       so.warehouse_id AS warehouse_id,
                       COALESCE(delivery.carrier_id, so.carrier_id) AS carrier_id,
                       so.amount_total / COALESCE(NULLIF(so.currency_rate, 0), 1)
                           AS amount_total,
                       COALESCE(refund.amount, 0) AS refund_amount,
                       COALESCE(refund.move_count, 0) AS refund_count
                  FROM sale_order so
                  JOIN res_company c ON c.id = so.company_id
             LEFT JOIN sale_order_stage_history cancelled
                    ON cancelled.order_id = so.id
                   AND cancelled.date_end IS NULL
                   AND cancelled.stage = 'cancelled'
             LEFT JOIN LATERAL (
                       SELECT h.stage
                         FROM sale_order_stage_history h
                        WHERE h.order_id = so.id AND h.stage != 'cancelled'
                     ORDER BY h.date_start DESC, h.id DESC
                        LIMIT 1
                       ) previous ON TRUE
             LEFT JOIN LATERAL (
                       SELECT SUM(ABS(am.amount_total_signed)) AS amount,
                              COUNT(*) AS move_count,
                              (ARRAY_AGG(am.procedure_refund_rule_id
                                         ORDER BY am.id DESC))[1] AS rule_id
                         FROM account_move am
                        WHERE am.procedure_refund_order_id = so.id
                          AND am.move_type = 'out_refund'
                          AND am.state != 'cancel'
                       ) refund ON TRUE
             LEFT JOIN order_cancel_refund_rule refund_rule
                    ON refund_rule.id = refund.rule_id
             LEFT JOIN LATERAL (
                       SELECT sp.carrier_id
                         FROM stock_picking sp
                        WHERE sp.sale_id = so.id AND sp.carrier_id IS NOT NULL
                     ORDER BY sp.id DESC
                        LIMIT 1
                       ) delivery ON TRUE
                 WHERE so.state = 'cancel'
                """
            )
        )
