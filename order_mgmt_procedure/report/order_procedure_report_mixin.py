from odoo import api, models, tools
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

    # ------------------------------------------------------------------
    # Selections in their own order
    # ------------------------------------------------------------------

    def _selection_order_sql(self, fname, sql_field):
        """For a selection field with a fixed list of values: ``sql_field``
        ranked by the place of its value in that list (the procedure's order
        of stages, not the alphabetical order of their keys), else None."""
        field = self._fields.get(fname)
        if not (field and field.type == "selection"):
            return None
        if not isinstance(field.selection, list):
            return None
        keys = [key for key, __ in field.selection]
        return SQL("array_position(%s::text[], %s::text)", keys, sql_field)

    def _read_group_orderby(self, order, groupby_terms, query):
        # Groups of a selection (rows of the pivot, bars and series of the
        # graphs) come in the selection's order. The group by clause keeps
        # the plain column: only the order by term is ranked.
        ranked, selections = dict(groupby_terms), set()
        for spec, sql_field in groupby_terms.items():
            rank = self._selection_order_sql(spec, sql_field)
            if rank is not None:
                ranked[spec] = rank
                selections.add(spec)
        result = super()._read_group_orderby(order, ranked, query)
        # What the order added to other terms (a many2one's own order) is
        # grouped by too.
        for spec, sql_field in ranked.items():
            if spec not in selections:
                groupby_terms[spec] = sql_field
        return result

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        # Sorting a list by a selection column: the same order.
        term = super()._order_field_to_sql(alias, field_name, direction, nulls, query)
        rank = self._selection_order_sql(
            field_name, self._field_to_sql(alias, field_name, query)
        )
        if rank is None:
            return term
        return SQL("%s %s %s", rank, direction, nulls)

    # ------------------------------------------------------------------
    # Graphs over time
    # ------------------------------------------------------------------

    @api.model
    def _web_read_group_fill_temporal(self, groups, groupby, aggregates, **kwargs):
        # A graph over time fills the periods without rows (a week nobody
        # entered a stage) with one group whose other values are empty:
        # grouped by period and stage, a "None" series (a line at zero) that
        # the data and the pivot do not have. Instead, every period gets a
        # group for each stage of the data, at zero where nothing happened,
        # and the groups come stage by stage, each in time order: the graph
        # then lists its series in the procedure's order of stages and its
        # periods in time order.
        filled = super()._web_read_group_fill_temporal(
            groups, groupby, aggregates, **kwargs
        )
        if len(groupby) != 2 or not groups:
            return filled
        periods = list(dict.fromkeys(group[0] for group in filled))
        found = {(group[0], group[1]): group for group in groups}
        values = list(dict.fromkeys(group[1] for group in groups))
        field = self._fields.get(groupby[1])
        if field and field.type == "selection" and isinstance(field.selection, list):
            rank = {key: index for index, (key, __) in enumerate(field.selection)}
            values.sort(key=lambda value: rank.get(value, len(rank)))
        empty = tuple(self._read_group_empty_value(spec) for spec in aggregates)
        return [
            found.get((period, value), (period, value, *empty))
            for value in values
            for period in periods
        ]

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
