"""Resolving an approved request: the return, then the refund or replacement."""

from odoo import fields, models


class OrderReturnRequest(models.Model):
    """Each record made here is built from a ``_prepare_*`` hook returning its
    values, for integrators to override (as OCA rma's ``_prepare_refund_vals``)."""

    _inherit = "order.return.request"

    # === BUSINESS METHODS: RETURN === #

    def _get_returned_delivery(self):
        self.ensure_one()
        return self.picking_id or self.order_id._get_last_done_delivery()

    def _prepare_return_picking_vals(self, delivery):
        """Approve's customer return of ``delivery``: the keyword arguments of
        ``stock.picking._create_customer_return``, ``quantities`` (product ->
        quantity: the request's lines) and ``vals`` (written on the return)."""
        self.ensure_one()
        quantities = {}
        for line in self.line_ids:
            quantities[line.product_id] = (
                quantities.get(line.product_id, 0.0) + line.quantity
            )
        return {"quantities": quantities, "vals": {}}

    def _create_return_picking(self):
        """The goods come back through Odoo's own returns wizard."""
        self.ensure_one()
        delivery = self._get_returned_delivery()
        if not delivery:
            return
        picking = delivery._create_customer_return(
            **self._prepare_return_picking_vals(delivery)
        )
        self._write_procedure_facts({"return_picking_id": picking.id})

    def _on_return_received(self):
        """The returned goods arrived: refund a return, ship an exchange."""
        for request in self.filtered(lambda r: r.state == "approved"):
            request.state = "received"
            if request.request_type == "return":
                request._create_refund()
                request.state = "done"
            else:
                request._create_exchange_delivery()

    # === BUSINESS METHODS: REFUND === #

    def _prepare_refund_vals(self):
        """The credit note that validating a return's transfer drafts: its
        header; its lines from ``_prepare_refund_line_vals``."""
        self.ensure_one()
        order = self.order_id
        return {
            "move_type": "out_refund",
            "partner_id": order.partner_invoice_id.id,
            "invoice_origin": order.name,
            "ref": self.env._(
                "Return %(request)s of %(order)s",
                request=self.name,
                order=order.name,
            ),
            "procedure_refund_order_id": order.id,
            "invoice_line_ids": [
                fields.Command.create(vals) for vals in self._prepare_refund_line_vals()
            ],
        }

    def _prepare_refund_line_vals(self):
        """The lines of ``_prepare_refund_vals``' credit note: one per line of
        the request, at the price, discount and taxes of its order line."""
        self.ensure_one()
        vals_list = []
        for line in self.line_ids:
            sale_line = self.order_id.order_line.filtered(
                lambda sol, p=line.product_id: sol.product_id == p
            )[:1]
            vals_list.append(
                {
                    "product_id": line.product_id.id,
                    "quantity": line.quantity,
                    "price_unit": sale_line.price_unit,
                    "discount": sale_line.discount,
                    "tax_ids": [fields.Command.set(sale_line.tax_ids.ids)],
                    "sale_line_ids": [fields.Command.set(sale_line.ids)],
                }
            )
        return vals_list

    def _create_refund(self):
        """A draft credit note for the returned goods at their order price,
        when the order was invoiced; never two for one request."""
        self.ensure_one()
        # sudo: the credit note is drafted for the accountants, who post it;
        # whoever receives the goods may not read or write invoices.
        request = self.sudo()
        if request.refund_move_id or not request.order_id._get_posted_invoices():
            return
        self.refund_move_id = (
            self.env["account.move"].sudo().create(request._prepare_refund_vals())
        )

    # === BUSINESS METHODS: REPLACE === #

    def _prepare_exchange_order_vals(self, lines):
        """The new order that validating an exchange's return transfer makes
        for ``lines``, exchanged for another product; reviewed like any order."""
        self.ensure_one()
        order = self.order_id
        return {
            "partner_id": order.partner_id.id,
            "partner_shipping_id": order.partner_shipping_id.id,
            "order_channel": "other",
            "origin": f"{order.name} - {self.name}",
            "priority_manual": order.priority if order.priority == "1" else False,
            "order_line": [
                fields.Command.create(
                    {
                        "product_id": line.replacement_product_id.id,
                        "product_uom_qty": line.quantity,
                    }
                )
                for line in lines
            ],
        }

    def _prepare_exchange_picking_vals(self, lines):
        """The replacement delivery that validating an exchange's return
        transfer ships for ``lines``: the same products, the order's priority."""
        self.ensure_one()
        order = self.order_id
        picking_type = order.warehouse_id.out_type_id
        customers = order.partner_shipping_id.property_stock_customer
        return {
            "picking_type_id": picking_type.id,
            "partner_id": order.partner_shipping_id.id,
            "origin": f"{order.name} - {self.name}",
            "priority": order.priority,
            "move_ids": [
                fields.Command.create(
                    {
                        "product_id": line.product_id.id,
                        "product_uom_qty": line.quantity,
                        "location_id": picking_type.default_location_src_id.id,
                        "location_dest_id": customers.id,
                    }
                )
                for line in lines
            ],
        }

    def _create_exchange_delivery(self):
        """The replacement goods leave with the order's priority; another
        product makes a new order, reviewed like any other."""
        self.ensure_one()
        changed = self.line_ids.filtered(
            lambda ln: (
                ln.replacement_product_id and ln.replacement_product_id != ln.product_id
            )
        )
        if changed:
            # sudo: the exchange order is made by the procedure for the manager.
            self.exchange_order_id = (
                self.env["sale.order"]
                .sudo()
                .create(self._prepare_exchange_order_vals(changed))
            )
        same = self.line_ids - changed
        if not same:
            return
        # sudo: the exchange is Inventory work the approval orders.
        picking = (
            self.env["stock.picking"]
            .sudo()
            .create(self._prepare_exchange_picking_vals(same))
        )
        picking.action_confirm()
        picking.action_assign()
        self.exchange_picking_id = picking
