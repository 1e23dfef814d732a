"""Orders made before order_mgmt_procedure is installed, for the install test.

Run by scripts/test through ``odoo shell`` (``env`` is given) on a database
that has the addon's dependencies but not the addon. The test
``test_install.py`` reads back which order should be in which stage.
"""

import json

env = globals()["env"]
warehouse = env["stock.warehouse"].search(
    [("company_id", "=", env.company.id)], limit=1
)
customer = env["res.partner"].create({"name": "Pre-install Customer"})


def storable(name, quantity):
    product = env["product.product"].create(
        {"name": name, "type": "consu", "is_storable": True, "list_price": 10.0}
    )
    if quantity:
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, quantity
        )
    return product


in_stock = storable("Pre-install Stocked Product", 100)
no_stock = storable("Pre-install Missing Product", 0)


def order(product, confirm=True):
    sale = env["sale.order"].create(
        {
            "partner_id": customer.id,
            "warehouse_id": warehouse.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 2})],
        }
    )
    if confirm:
        sale.action_confirm()
    return sale


quotation = order(in_stock, confirm=False)
confirmed = order(in_stock)
short = order(no_stock)
delivered = order(in_stock)
delivered.picking_ids.move_ids.picked = True
delivered.picking_ids.with_context(skip_sms=True).button_validate()
cancelled = order(in_stock)
cancelled._action_cancel()

seeded = {
    "received": quotation.id,
    "awaiting_shipment": confirmed.id,
    "awaiting_replenishment": short.id,
    "shipped": delivered.id,
    "cancelled": cancelled.id,
}
env["ir.config_parameter"].set_param(
    "order_mgmt_procedure.test_orders_before_install", json.dumps(seeded)
)
env.cr.commit()
print("Seeded orders before install:", seeded)
