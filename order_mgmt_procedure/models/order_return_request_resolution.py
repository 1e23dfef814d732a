"""Resolving an approved request: the return, then the refund or replacement."""

from odoo import fields, models

from ..tools.text import join_items


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
        header; its lines from ``_prepare_refund_line_vals``. The goods
        invoiced on several invoices get one credit note per invoice, each
        made as Odoo's reversal of its invoice (its partner, journal, fiscal
        position, ``reversed_entry_id``), these values applied over it."""
        self.ensure_one()
        order = self.order_id
        return {
            "move_type": "out_refund",
            "invoice_origin": order.name,
            "ref": self.env._(
                "Return %(request)s of %(order)s",
                request=self.name,
                order=order.name,
            ),
            **self._prepare_refund_origin_vals(),
            "invoice_line_ids": [
                fields.Command.create(vals) for vals in self._prepare_refund_line_vals()
            ],
        }

    def _prepare_refund_origin_vals(self):
        """What the credit note refunds, for the accountants: the order, the
        request, its reason and the logistics stage of the goods."""
        self.ensure_one()
        order = self.order_id
        return {
            "procedure_refund_order_id": order.id,
            "procedure_refund_origin": "return",
            "procedure_return_request_id": self.id,
            "procedure_refund_reason": self.reason,
            "procedure_logistics_stage": order._get_logistics_stage(),
            "procedure_refund_percent": 100.0,
            "procedure_return_shipping": 0.0,
        }

    def _prepare_refund_line_vals(self):
        """The lines of ``_prepare_refund_vals``' credit note: one per line of
        the request, its product, quantity and order line. Each is made as
        Odoo's reversal copies the invoice line of that order line (account,
        taxes, analytic distribution, price, discount); the values given here
        apply over that copy."""
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
                    "sale_line_ids": [fields.Command.set(sale_line.ids)],
                }
            )
        return vals_list

    def _create_refund(self):
        """Draft credit notes for the returned goods, each reversing the
        invoice they were invoiced on at its price (in proportion of the
        quantities when several invoices did), when the order was invoiced;
        never two for one request."""
        self.ensure_one()
        # sudo: the credit note is drafted for the accountants, who post it;
        # whoever receives the goods may not read or write invoices.
        request = self.sudo()
        if request.refund_move_id or not request.order_id._get_posted_invoices():
            return
        vals_list, unrefunded = request._prepare_refunds_by_invoice(
            request._prepare_refund_vals()
        )
        if unrefunded:
            request._note_unrefunded(unrefunded)
        if not vals_list:
            return
        refunds = self.env["account.move"].sudo().create(vals_list)
        refunds._set_procedure_invoice_shares()
        self.refund_move_id = refunds[-1]

    def _prepare_refunds_by_invoice(self, vals):
        """``(credit note values, unrefunded)``: ``vals`` (the values of
        ``_prepare_refund_vals``) made into one credit note per invoice the
        goods were invoiced on, each line the reversal of its invoice line
        for the invoice's share of the quantity; ``unrefunded`` lists
        ``(product, quantity)`` returned but not invoiced (or already
        refunded), that no credit note refunds."""
        self.ensure_one()
        header = {k: v for k, v in vals.items() if k != "invoice_line_ids"}
        lines_by_invoice = {}
        unrefunded = []
        for command in vals.get("invoice_line_ids") or []:
            if command[0] != fields.Command.CREATE:
                continue
            line_vals = command[2]
            sale_line = self._get_refund_sale_line(line_vals)
            product = sale_line.product_id or self.env["product.product"].browse(
                line_vals.get("product_id")
            )
            quantity = line_vals.get("quantity", 0.0)
            allocations = sale_line._allocate_procedure_refund(quantity)
            refunded = sum(qty for __, qty in allocations)
            if product and product.uom_id.compare(quantity, refunded) > 0:
                unrefunded.append((product, quantity - refunded))
            overrides = {k: v for k, v in line_vals.items() if k != "quantity"}
            for invoice_line, qty in allocations:
                lines_by_invoice.setdefault(invoice_line.move_id, []).append(
                    fields.Command.create(
                        {
                            **invoice_line._prepare_procedure_reversal_line_vals(qty),
                            **overrides,
                        }
                    )
                )
        invoices = sorted(
            lines_by_invoice, key=lambda m: (m.invoice_date or m.date, m.id)
        )
        vals_list = []
        for invoice in invoices:
            move_vals = {
                **invoice._prepare_procedure_reversal_vals(),
                **header,
                "invoice_line_ids": lines_by_invoice[invoice],
            }
            move_vals.pop("line_ids", None)
            if len(invoices) > 1:
                move_vals["ref"] = self.env._(
                    "%(ref)s (invoice %(invoice)s of %(count)s)",
                    ref=move_vals.get("ref") or "",
                    invoice=invoice.name,
                    count=len(invoices),
                )
            vals_list.append(move_vals)
        return vals_list, unrefunded

    def _get_refund_sale_line(self, line_vals):
        """The order line a credit note line of ``_prepare_refund_line_vals``
        refunds: its ``sale_line_ids``, else the order line of its product."""
        self.ensure_one()
        SaleLine = self.env["sale.order.line"]
        ids = []
        for command in line_vals.get("sale_line_ids") or []:
            if command[0] == fields.Command.SET:
                ids = list(command[2])
            elif command[0] == fields.Command.LINK:
                ids.append(command[1])
        if ids:
            return SaleLine.browse(ids)[:1]
        return self.order_id.order_line.filtered(
            lambda sol: sol.product_id.id == line_vals.get("product_id")
        )[:1]

    def _note_unrefunded(self, unrefunded):
        """Tell the request's followers which returned goods no credit note
        refunds (not invoiced, or already refunded)."""
        request = self._with_procedure_lang()
        request.message_post(
            body=request.env._(
                "Not refunded, as not invoiced or already refunded: %(goods)s. "
                "The accountants refund it by hand if it is owed.",
                goods=join_items(
                    request.env,
                    [
                        request.env._(
                            "%(product)s (%(quantity)s)",
                            product=product.with_env(request.env).display_name,
                            quantity=f"{quantity:g}",
                        )
                        for product, quantity in unrefunded
                    ],
                ),
            ),
            subtype_xmlid="mail.mt_note",
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
