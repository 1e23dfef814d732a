from collections import defaultdict

from odoo import api, models

# Context key set by the batch import around the creation of its orders: lines
# whose amounts have the same inputs share one computation (see
# ``_compute_shared``).
SHARED_AMOUNTS = "batch_import_shared_amounts"
# What a base line holds for the line itself, not an input of its amounts.
BASE_LINE_IDENTITY = ("record", "id")


class NotComparable(Exception):
    """A line's inputs hold a value ``_frozen`` cannot compare."""


def _frozen(value):
    """``value`` (a base line's value) as a hashable key; NotComparable if it
    holds something the key cannot compare."""
    if isinstance(value, models.BaseModel):
        return (value._name, value._ids)
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise NotComparable(value)


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # === COMPUTE METHODS === #

    # The lines of a batch import repeat the same product, quantity and price
    # from one order to the next: Odoo's own computation runs once for each
    # set of inputs and its result is given to the other lines with the same
    # inputs (the same values the computation would give them one by one).

    def _compute_amount(self):
        self._compute_shared(
            super()._compute_amount,
            lambda line: line._get_amount_inputs(),
            ("price_subtotal", "price_tax", "price_total"),
        )

    def _compute_price_reduce_taxexcl(self):
        self._compute_shared(
            super()._compute_price_reduce_taxexcl,
            lambda line: (
                line.price_subtotal,
                line.product_uom_qty,
                line.currency_id.id,
            ),
            ("price_reduce_taxexcl",),
        )

    def _compute_price_reduce_taxinc(self):
        self._compute_shared(
            super()._compute_price_reduce_taxinc,
            lambda line: (
                line.price_total,
                line.product_uom_qty,
                line.currency_id.id,
            ),
            ("price_reduce_taxinc",),
        )

    def _compute_shared(self, compute, get_inputs, fnames):
        """Run ``compute`` (the parent's compute method of ``fnames``, bound
        to ``self``) once per distinct ``get_inputs(line)`` and give its
        values to the other lines with the same inputs; outside the batch
        import (context ``batch_import_shared_amounts``) or for a line whose
        inputs cannot be compared, ``compute`` runs on the lines as usual."""
        if not self.env.context.get(SHARED_AMOUNTS) or len(self) < 2:
            return compute()
        groups = defaultdict(list)
        alone = []
        for line in self:
            try:
                groups[get_inputs(line)].append(line.id)
            except NotComparable:
                alone.append(line.id)
        method = compute.__func__
        if alone:
            method(self.browse(alone))
        for ids in groups.values():
            # (a slice: the ids of new records are false)
            first = self.browse(ids[:1])
            method(first)
            if len(ids) > 1:
                others = self.browse(ids[1:])
                for fname in fnames:
                    others[fname] = first[fname]
        return None

    def _get_amount_inputs(self):
        """Everything ``_compute_amount`` computes the line's amounts from:
        its base line for the taxes computation (but the line itself) and
        its company."""
        base_line = self._prepare_base_line_for_taxes_computation()
        return (
            (self.company_id or self.env.company).id,
            _frozen(
                {
                    key: value
                    for key, value in base_line.items()
                    if key not in BASE_LINE_IDENTITY
                }
            ),
        )

    def _prepare_procurement_values(self):
        values = super()._prepare_procurement_values()
        # What an urgent order triggers (RFQs of made-to-order lines) is urgent.
        values["priority"] = self.order_id.priority or "0"
        if self.order_id.fulfillment_type == "custom":
            # Made to order: the supply chain (buy or manufacture) is triggered
            # for this line instead of taking from stock.
            mto_route = self.env.ref(
                "stock.route_warehouse0_mto", raise_if_not_found=False
            )
            if mto_route:
                values["route_ids"] = mto_route | values.get("route_ids", mto_route)
        return values

    @api.model_create_multi
    def create(self, vals_list):
        orders = self.env["sale.order"].browse(
            {vals["order_id"] for vals in vals_list if vals.get("order_id")}
        )
        with orders._syncing_delivery_priority():
            lines = super().create(vals_list)
        orders._refresh_review_lines()
        return lines

    def write(self, vals):
        with self.order_id._syncing_delivery_priority():
            result = super().write(vals)
        self.order_id._refresh_review_lines()
        return result

    def unlink(self):
        orders = self.order_id
        with orders._syncing_delivery_priority():
            result = super().unlink()
        orders._refresh_review_lines()
        return result

    # === BUSINESS METHODS: REFUND === #

    def _get_procedure_refundable_invoice_lines(self):
        """``{invoice line: quantity still refundable}`` of this order line,
        one invoice line per posted customer invoice that invoiced it: what
        that invoice invoiced, less what the credit notes reversing it
        (drafts included) took back."""
        self.ensure_one()
        invoice_lines = self.invoice_lines.filtered(
            lambda aml: (
                aml.move_id.move_type == "out_invoice"
                and aml.move_id.state == "posted"
                and aml.display_type == "product"
            )
        )
        refundable = {}
        for invoice, lines in invoice_lines.grouped("move_id").items():
            refund_lines = invoice.reversal_move_ids.filtered(
                lambda m: m.state != "cancel" and m.move_type == "out_refund"
            ).invoice_line_ids.filtered(lambda aml: self in aml.sale_line_ids)
            left = sum(lines.mapped("quantity")) - sum(refund_lines.mapped("quantity"))
            refundable[lines[:1]] = max(left, 0.0)
        return refundable

    def _allocate_procedure_refund(self, quantity):
        """``[(invoice line, quantity)]``: ``quantity`` of this order line
        refunded on the invoices that invoiced it, in proportion of what each
        may still refund, rounded to the unit of measure, the rounding left on
        the latest invoice; never more than was invoiced."""
        if not self:
            return []
        self.ensure_one()
        refundable = {
            line: qty
            for line, qty in self._get_procedure_refundable_invoice_lines().items()
            if not self.product_uom_id.is_zero(qty)
        }
        total = sum(refundable.values())
        quantity = min(quantity, total)
        if self.product_uom_id.is_zero(quantity):
            return []
        lines = sorted(
            refundable,
            key=lambda aml: (aml.move_id.invoice_date or aml.move_id.date, aml.id),
        )
        allocations = []
        left = quantity
        for line in lines[:-1]:
            share = self.product_uom_id.round(quantity * refundable[line] / total)
            share = min(share, left)
            allocations.append((line, share))
            left -= share
        allocations.append((lines[-1], left))
        return [
            (line, qty)
            for line, qty in allocations
            if not self.product_uom_id.is_zero(qty)
        ]
