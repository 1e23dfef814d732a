#!/usr/bin/env python3
"""Uninstalling order_mgmt_procedure leaves Odoo as it was.

On a database with the addon installed (and its demo data), in one
``odoo shell``: note the tables, SQL views and columns the addon made, then
uninstall it (``button_immediate_uninstall``). In a fresh shell: check that
none of them is left, nor the addon's models and fields in ``ir_model`` and
``ir_model_fields``, then run a short sale flow of plain Odoo as the
administrator: a quotation confirmed without any review, its delivery
validated, its invoice posted, another order confirmed and cancelled, and a
quotation cancelled.

    uninstall_check.py ODOO_CONF DATABASE [--logdir DIR]

DATABASE is changed for good: give it a copy. Odoo's logs go to DIR (a
temporary directory by default). Exits 0 when everything passed, 1 when a
check failed or a step raised.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback

ADDON = "order_mgmt_procedure"
MARKER = "UNINSTALL_CHECK "
LOG_HEADER = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ [A-Z]+ ")
LOG_ERROR = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) ")
KEPT_RECORD = re.compile(
    r"odoo\.sql_db: bad query: b'DELETE FROM \"(?P<table>\w+)\" "
    r"WHERE id IN \((?P<ids>[\d, ]+)\)'"
)

# === IN THE FIRST SHELL === #


def shell_uninstall(env):
    """What the addon made (tables and SQL views, columns on Odoo's tables,
    models, fields), then its uninstallation; returns what it made."""
    module = env["ir.module.module"].search([("name", "=", ADDON)])
    if module.state != "installed":
        raise SystemExit(f"{ADDON} is {module.state or 'unknown'}, not installed")
    # As a scheduled stock re-check leaves it between its runs.
    env["sale.order"]._set_check_stock_position(0)
    tables, columns, models, fields = set(), set(), [], []
    for name, model in env.registry.items():
        own_model = model._original_module == ADDON
        if own_model and not model._abstract:
            models.append(name)
            tables.add(model._table)
        for field in model._fields.values():
            # The module that defined the field first, not one extending it.
            if field._modules[:1] != (ADDON,):
                continue
            fields.append([name, field.name])
            if field.type == "many2many" and field.store and field.relation:
                tables.add(field.relation)
            elif (
                not own_model
                and not model._abstract
                and field.store
                and field.column_type
            ):
                columns.add(f"{model._table}.{field.name}")
    made = {
        "tables": sorted(tables),
        "columns": sorted(columns),
        "models": sorted(models),
        "fields": sorted(fields),
        "xmlids": env["ir.model.data"].search_count([("module", "=", ADDON)]),
    }
    print(
        f"before: {len(made['tables'])} tables or views, {len(made['columns'])} "
        f"columns on Odoo's tables, {len(models)} models, {len(fields)} fields, "
        f"{made['xmlids']} records (xmlids) of the addon"
    )
    env.cr.rollback()
    # As an administrator leaves it: the company's order e-mail address.
    alias_domain = env["mail.alias.domain"].create(
        {"name": "uninstall-check.example.com"}
    )
    env.company.order_mail_alias_id = env["mail.alias"].create(
        {
            "alias_name": "orders-uninstall-check",
            "alias_domain_id": alias_domain.id,
            "alias_model_id": env["ir.model"]._get_id("sale.order"),
            "alias_contact": "everyone",
        }
    )
    made["aliases"] = env.company.order_mail_alias_id.ids
    env.cr.commit()
    module.button_immediate_uninstall()
    print(f"{ADDON} uninstalled (button_immediate_uninstall)")
    return made


# === IN THE SECOND SHELL === #


class Checks:
    def __init__(self):
        self.problems = []

    def __call__(self, condition, message):
        print(("ok      " if condition else "FAILED  ") + message)
        if not condition:
            self.problems.append(message)


def _listed(names):
    names = list(names)
    return ": " + ", ".join(names) if names else ""


def shell_check_nothing_left(env, made, check):
    cr = env.cr
    state = env["ir.module.module"].search([("name", "=", ADDON)]).state
    check(state == "uninstalled", f"module state: {state}")
    cr.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_name = ANY(%s)",
        [made["tables"]],
    )
    left = sorted(row[0] for row in cr.fetchall())
    check(
        not left,
        f"no table or view of the addon left ({len(made['tables'])} checked)"
        + _listed(left),
    )
    cr.execute(
        "SELECT table_name || '.' || column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
        " AND table_name || '.' || column_name = ANY(%s)",
        [made["columns"]],
    )
    left = sorted(row[0] for row in cr.fetchall())
    check(
        not left,
        "no column of the addon left on Odoo's tables "
        f"({len(made['columns'])} checked)" + _listed(left),
    )
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = 'sale_order' "
        "AND column_name = 'procedure_stage'"
    )
    check(not cr.rowcount, "column sale_order.procedure_stage gone")
    cr.execute("SELECT to_regclass('order_review_rule')")
    check(cr.fetchone()[0] is None, "table order_review_rule gone")
    left = env["ir.model"].search([("model", "in", made["models"])]).mapped("model")
    check(not left, "no ir.model of the addon left" + _listed(left))
    cr.execute(
        "SELECT model || '.' || name FROM ir_model_fields"
        " WHERE model || '.' || name = ANY(%s)",
        [[f"{model}.{name}" for model, name in made["fields"]]],
    )
    left = sorted(row[0] for row in cr.fetchall())
    check(not left, "no ir.model.fields of the addon left" + _listed(left))
    # Odoo keeps a record it cannot delete (still referenced, e.g. a demo
    # customer with invoices) and its xmlid: acceptable for business records,
    # not for the addon's models nor for views, actions, menus, groups, rules.
    kept = {}
    for data in env["ir.model.data"].search([("module", "=", ADDON)]):
        kept.setdefault(data.model, []).append(data.name)
    technical = sorted(
        model
        for model in kept
        if model in made["models"] or model.startswith(("ir.", "res.groups"))
    )
    check(
        not technical,
        f"no technical record of the addon left ({made['xmlids']} xmlids before)"
        + _listed(f"{model}: {', '.join(kept[model][:5])}" for model in technical),
    )
    params = (
        env["ir.config_parameter"]
        .sudo()
        .search([("key", "=like", f"{ADDON}.%")])
        .mapped("key")
    )
    check(not params, "no system parameter of the addon left" + _listed(params))
    aliases = env["mail.alias"].browse(made.get("aliases", [])).exists()
    check(
        not aliases,
        "no order e-mail alias of the addon left"
        + _listed(aliases.mapped("alias_full_name")),
    )
    for model in sorted(set(kept) - set(technical)):
        print(
            f"note    kept by Odoo, still referenced: {len(kept[model])} {model} "
            f"({', '.join(sorted(kept[model])[:6])})"
        )


def shell_sale_flow(env, check):
    """Odoo's sale flow as the administrator (access rights checked)."""
    admin = env.ref("base.user_admin")
    env = env(user=admin, su=False)
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    customer = env["res.partner"].create({"name": "After-uninstall Customer"})
    product = env["product.product"].create(
        {
            "name": "After-uninstall Product",
            "type": "consu",
            "is_storable": True,
            "list_price": 25.0,
            "invoice_policy": "delivery",
        }
    )
    env["stock.quant"].with_context(inventory_mode=True).create(
        {
            "product_id": product.id,
            "location_id": warehouse.lot_stock_id.id,
            "inventory_quantity": 10,
        }
    ).action_apply_inventory()

    def new_order():
        return env["sale.order"].create(
            {
                "partner_id": customer.id,
                "warehouse_id": warehouse.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": 3})
                ],
            }
        )

    order = new_order()
    print(f"        quotation {order.name} created as {admin.login}: {order.state}")
    order.action_confirm()
    check(
        order.state == "sale",
        f"{order.name} confirmed without review: state {order.state}",
    )
    picking = order.picking_ids
    check(
        len(picking) == 1,
        f"{order.name} has one delivery: {', '.join(picking.mapped('name'))}",
    )
    picking.action_assign()
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty
    picking.move_ids.picked = True
    result = picking.button_validate()
    returned = result if result is True else (result or {}).get("res_model", result)
    check(
        result is True and picking.state == "done",
        f"delivery {picking.name} validated: state {picking.state} "
        f"(button_validate returned {returned})",
    )
    delivered = sum(order.order_line.mapped("qty_delivered"))
    check(delivered == 3, f"{order.name} delivered quantity: {delivered:g}")
    invoice = order._create_invoices()
    invoice.action_post()
    check(
        invoice.state == "posted",
        f"invoice {invoice.name} posted: state {invoice.state}, "
        f"{invoice.amount_total} {invoice.currency_id.name}",
    )
    check(
        order.invoice_status == "invoiced",
        f"{order.name} invoice status: {order.invoice_status}",
    )

    other = new_order()
    other.action_confirm()
    other_picking = other.picking_ids
    other.action_cancel()
    check(
        other.state == "cancel" and set(other_picking.mapped("state")) == {"cancel"},
        f"{other.name} confirmed then cancelled: state {other.state}, delivery "
        f"{', '.join(other_picking.mapped('name'))} "
        f"{', '.join(other_picking.mapped('state'))}",
    )
    quotation = new_order()
    quotation.action_cancel()
    check(
        quotation.state == "cancel",
        f"quotation {quotation.name} cancelled: state {quotation.state}",
    )


def shell_after_uninstall(env, made):
    """Nothing left, then Odoo's sale flow; returns the problems found."""
    check = Checks()
    shell_check_nothing_left(env, made, check)
    try:
        shell_sale_flow(env, check)
    except Exception:
        check.problems.append("the sale flow raised:\n" + traceback.format_exc())
        print("FAILED  the sale flow raised:")
        traceback.print_exc(file=sys.stdout)
    env.cr.rollback()
    return check.problems


# === THE DRIVER === #

# Fed to ``odoo shell``: loads this file and calls one of its shell_*
# functions with the shell's ``env``, then prints the result after MARKER.
SHELL_STUB = """
import importlib.util, json
spec = importlib.util.spec_from_file_location("uninstall_check", {path!r})
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)
result = check.{function}(env, *json.loads({args!r}))
print(check.MARKER + json.dumps(result))
"""


def read_log_errors(logfile):
    """The errors Odoo logged, but the deletions of uninstalled records that
    PostgreSQL refused because others still reference them: Odoo then keeps
    the record on purpose (``ir.model.data._module_data_uninstall``); those
    come back as notes."""
    errors, notes, entry = [], [], []
    with open(logfile) as log:
        for line in [*log, "0000-00-00 00:00:00,000 0 INFO end"]:
            if LOG_HEADER.match(line) and entry:
                header = entry[0].rstrip()
                if LOG_ERROR.match(header):
                    text = "".join(entry)
                    refused = KEPT_RECORD.search(header)
                    if refused and "violates foreign key constraint" in text:
                        notes.append(
                            "note    deletion refused, still referenced: "
                            f"{refused['table']} {refused['ids']}"
                        )
                    else:
                        errors.append(header)
                entry = []
            entry.append(line)
    return errors, notes


def odoo_shell(conf, db, function, args, logfile):
    """Run ``function(env, *args)`` of this file in ``odoo shell``: its exit
    code, output, the errors Odoo logged and its result (None when it did not
    return)."""
    script = SHELL_STUB.format(
        path=os.path.abspath(__file__), function=function, args=json.dumps(args)
    )
    # Odoo appends to its log file: each shell reads only its own.
    open(logfile, "w").close()
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "shell",
            "-c",
            conf,
            "-d",
            db,
            "--no-http",
            "--log-level=warn",
            "--logfile",
            logfile,
        ],
        input=script,
        capture_output=True,
        text=True,
        check=False,
    )
    payload = None
    lines = []
    for line in process.stdout.splitlines():
        if line.startswith(MARKER):
            payload = json.loads(line[len(MARKER) :])
        else:
            lines.append(line)
    errors, notes = read_log_errors(logfile)
    lines += notes
    if process.returncode and process.stderr.strip():
        lines.append(process.stderr.strip())
    return process.returncode, lines, errors, payload


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("conf")
    parser.add_argument("database")
    parser.add_argument("--logdir")
    args = parser.parse_args()
    logdir = args.logdir or tempfile.mkdtemp(prefix="omp-uninstall.")
    os.makedirs(logdir, exist_ok=True)

    print(f"Uninstalling {ADDON} from {args.database}")
    logfile = os.path.join(logdir, "uninstall.log")
    rc, lines, errors, made = odoo_shell(
        args.conf, args.database, "shell_uninstall", [], logfile
    )
    for line in lines:
        print("    " + line)
    if rc or made is None:
        print(
            f"FAILED: the uninstallation did not complete (exit {rc}); log: {logfile}"
        )
        return 1
    if errors:
        for line in errors[:20]:
            print("    " + line)
        print(f"FAILED: Odoo logged errors while uninstalling; log: {logfile}")
        return 1

    print("In a fresh shell: what is left, and Odoo's sale flow")
    logfile = os.path.join(logdir, "flow.log")
    rc, lines, errors, problems = odoo_shell(
        args.conf, args.database, "shell_after_uninstall", [made], logfile
    )
    for line in lines:
        print("    " + line)
    if problems is None:
        print(f"FAILED: the check did not complete (exit {rc}); log: {logfile}")
        return 1
    problems += [f"Odoo logged: {line}" for line in errors]
    if problems:
        print(f"Uninstall check FAILED: {len(problems)} problem(s)")
        for problem in problems:
            print("  - " + problem.splitlines()[0])
        return 1
    print("Uninstall check passed: nothing of the addon left, Odoo's sale flow works")
    return 0


if __name__ == "__main__":
    sys.exit(main())
