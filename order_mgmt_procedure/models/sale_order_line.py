from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

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
