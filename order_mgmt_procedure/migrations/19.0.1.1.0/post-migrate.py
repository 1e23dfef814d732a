"""19.0.1.1.0: values that the new computes give new records, given to the
records made before them."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    # Exceptions saved as resolved without anyone resolving them are open.
    events = env["stock.picking.logistics.event"].search(
        [
            ("event_type", "in", ("delayed", "lost", "damaged")),
            ("resolved_date", "=", False),
        ]
    )
    env.add_to_compute(events._fields["state"], events)
    # Open customer deliveries get an expected date proposed, with or
    # without a carrier.
    pickings = env["stock.picking"].search(
        [
            ("picking_type_code", "=", "outgoing"),
            ("sale_id", "!=", False),
            ("state", "not in", ("done", "cancel")),
            ("expected_delivery_date", "=", False),
        ]
    )
    env.add_to_compute(pickings._fields["expected_delivery_date"], pickings)
    # Return requests name the order's done delivery when it has only one.
    requests = env["order.return.request"].search([("picking_id", "=", False)])
    env.add_to_compute(requests._fields["picking_id"], requests)
    env.flush_all()
    # Activity titles, checklist messages and the checker of automatic checks
    # were stored in their writer's language or name: they follow the reader.
    env["sale.order"]._upgrade_review_texts()
    env["order.return.request"]._upgrade_overdue_activities()
