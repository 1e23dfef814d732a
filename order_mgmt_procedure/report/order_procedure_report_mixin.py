from odoo import models, tools
from odoo.tools import SQL

# Aggregators PostgreSQL computes that Odoo's read_group does not offer.
PERCENTILES = {"median": 0.5, "p90": 0.9}


class OrderProcedureReportMixin(models.AbstractModel):
    """Read-only reports of the procedure, on SQL views.

    A field declared with ``aggregator="median"`` or ``aggregator="p90"`` is
    aggregated with PostgreSQL's ``percentile_cont`` over the rows of each
    group, so the pivot and graph views show the true median (or 90th
    percentile) of whatever grouping the user picks, totals included;
    averaging per-group medians would not give it."""

    _name = "order.procedure.report.mixin"
    _description = "Order Procedure Report"

    def _read_group_select(self, aggregate_spec, query):
        fname, __, func = aggregate_spec.partition(":")
        if func in PERCENTILES and fname in self._fields:
            return SQL(
                "percentile_cont(%s) WITHIN GROUP (ORDER BY %s)",
                PERCENTILES[func],
                self._field_to_sql(self._table, fname, query),
            )
        return super()._read_group_select(aggregate_spec, query)

    def _create_view(self, select):
        """(Re)create the report's view from ``select`` (an SQL query)."""
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                select,
            )
        )
