"""Benchmarks of order_mgmt_procedure against plain Odoo, in one database and
one run. Run by ``scripts/benchmark`` through ``odoo shell`` (``env`` is given);
every measured operation is rolled back, the database is left as it was.

Prints a table (queries, seconds, procedure / plain ratio) and writes it as
JSON to $OMP_BENCHMARK_JSON (default: benchmark.json in the current folder).
"""

import base64
import csv
import io
import json
import os
import time

ORDERS = int(os.environ.get("OMP_BENCH_ORDERS", "1000"))
LINES = int(os.environ.get("OMP_BENCH_LINES", "5"))
OUTPUT = os.environ.get("OMP_BENCHMARK_JSON", "benchmark.json")


def measure(env, label, function):
    """Run ``function`` in a savepoint rolled back afterwards; return its
    queries and wall time (flush included)."""
    cr = env.cr
    env.invalidate_all()
    queries_before = cr.sql_log_count
    start = time.perf_counter()
    with cr.savepoint(flush=False) as savepoint:
        result = function()
        env.flush_all()
        seconds = time.perf_counter() - start
        queries = cr.sql_log_count - queries_before
        savepoint.rollback()
    env.invalidate_all()
    print(f"  {label}: {queries} queries, {seconds:.2f} s ({result})", flush=True)
    return {"queries": queries, "seconds": round(seconds, 3), "result": result}


def fixtures(env):
    """Customers with internal references and products with codes, made once
    for the run (rolled back at the end)."""
    partner = env["res.partner"]
    customers = partner.create(
        [
            {
                "name": f"Bench Distributor {i}",
                "ref": f"BENCH-C{i:03d}",
                "is_company": True,
                "street": f"{i} Bench Road",
                "city": "Suzhou",
                "zip": "215000",
                "country_id": env.ref("base.cn").id,
                "phone": "+86 512 6523 0000",
            }
            for i in range(50)
        ]
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Bench Product {i}",
                "default_code": f"BENCH-P{i:03d}",
                "type": "consu",
                "list_price": 10 + i,
            }
            for i in range(20)
        ]
    )
    return customers, products


def order_rows(customers, products):
    """``ORDERS`` orders of ``LINES`` lines as (ref, customer, product, qty, price)."""
    rows = []
    for order in range(ORDERS):
        customer = customers[order % len(customers)]
        for line in range(LINES):
            product = products[(order + line) % len(products)]
            rows.append(
                (
                    f"BENCH-{order:05d}",
                    customer.ref,
                    product.default_code,
                    line + 1,
                    9.5,
                )
            )
    return rows


def to_csv(header, rows):
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue().encode()


def bench_import(env, user, customers, products):
    """The addon's batch import vs. Odoo's own import (base_import) of the
    same orders, as the same user."""
    rows = order_rows(customers, products)
    addon_file = to_csv(
        ["External Order Reference", "Customer", "Product", "Quantity", "Unit Price"],
        rows,
    )
    # base_import: an order's later lines leave the order's columns empty;
    # customers and products are found by name_search, as in the web client.
    names = {customer.ref: customer.name for customer in customers}
    plain_rows = []
    previous = None
    for ref, customer, product, quantity, price in rows:
        first = ref != previous
        previous = ref
        plain_rows.append(
            (
                ref if first else "",
                names[customer] if first else "",
                product,
                quantity,
                price,
            )
        )
    plain_file = to_csv(
        [
            "client_order_ref",
            "partner_id",
            "order_line/product_id",
            "order_line/product_uom_qty",
            "order_line/price_unit",
        ],
        plain_rows,
    )
    uenv = env(user=user)

    def addon():
        wizard = uenv["sale.order.batch.import"].create(
            {"file": base64.b64encode(addon_file), "filename": "bench.csv"}
        )
        wizard.action_import()
        return f"{len(wizard.order_ids)} orders"

    def plain():
        importer = uenv["base_import.import"].create(
            {
                "res_model": "sale.order",
                "file": plain_file,
                "file_name": "bench.csv",
                "file_type": "text/csv",
            }
        )
        fields = [
            "client_order_ref",
            "partner_id",
            "order_line/product_id",
            "order_line/product_uom_qty",
            "order_line/price_unit",
        ]
        result = importer.execute_import(
            fields,
            fields,
            {
                "has_headers": True,
                "separator": ",",
                "quoting": '"',
                "encoding": "utf-8",
            },
        )
        errors = [m for m in result.get("messages", []) if m.get("type") == "error"]
        if errors:
            raise RuntimeError(f"base_import failed: {errors[:3]}")
        return f"{len(result['ids'])} orders"

    return {
        "procedure": measure(env, f"batch import, {ORDERS} x {LINES}", addon),
        "plain": measure(env, f"base_import, {ORDERS} x {LINES}", plain),
    }


def ratio(entry, key):
    plain = entry["plain"][key]
    return round(entry["procedure"][key] / plain, 2) if plain else None


def main(env):
    user = env.ref("base.user_admin")
    if not user.has_group("order_mgmt_procedure.group_order_receiver"):
        user.group_ids += env.ref("order_mgmt_procedure.group_order_receiver")
    customers, products = fixtures(env)
    env.flush_all()
    results = {"import": bench_import(env, user, customers, products)}
    print()
    print(f"{'benchmark':<12}{'queries':>22}{'seconds':>22}{'ratio q/s':>16}")
    for name, entry in results.items():
        entry["ratio_queries"] = ratio(entry, "queries")
        entry["ratio_seconds"] = ratio(entry, "seconds")
        queries = f"{entry['procedure']['queries']} / {entry['plain']['queries']}"
        seconds = f"{entry['procedure']['seconds']} / {entry['plain']['seconds']}"
        ratios = f"{entry['ratio_queries']} / {entry['ratio_seconds']}"
        print(f"{name:<12}{queries:>22}{seconds:>22}{ratios:>16}")
    with open(OUTPUT, "w", encoding="utf-8") as output:
        json.dump(
            {"orders": ORDERS, "lines": LINES, "results": results}, output, indent=2
        )
    print(f"\nWritten to {OUTPUT}")
    env.cr.rollback()


main(env)  # noqa: F821 (given by odoo shell)
