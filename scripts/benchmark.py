"""Benchmarks of order_mgmt_procedure against plain Odoo, in one database and
one run. Run by ``scripts/benchmark`` through ``odoo shell`` (``env`` is given);
every measured operation is rolled back, except the scheduled actions, last,
which run through Odoo's scheduler as in production: it commits each batch,
so their set-up is committed too (the database is the benchmark's own).

Prints a table (queries, seconds, procedure / plain ratio) and writes it as
JSON to $OMP_BENCHMARK_JSON (default: benchmark.json in the current folder).
"""

import base64
import copy
import csv
import gc
import io
import json
import os
import time
import tracemalloc
from contextlib import contextmanager

from odoo import sql_db

ORDERS = int(os.environ.get("OMP_BENCH_ORDERS", "1000"))
LINES = int(os.environ.get("OMP_BENCH_LINES", "5"))
# Orders confirmed and delivered, and the sizes the scheduled actions run on.
FLOW_ORDERS = int(os.environ.get("OMP_BENCH_FLOW_ORDERS", "200"))
CRON_SIZES = [
    int(size)
    for size in os.environ.get("OMP_BENCH_CRON_SIZES", "1000,10000").split(",")
]
# OMP_BENCH_CRON_100K=1: the scheduled actions on 100,000 records as well.
if os.environ.get("OMP_BENCH_CRON_100K") == "1" and 100_000 not in CRON_SIZES:
    CRON_SIZES.append(100_000)
OUTPUT = os.environ.get("OMP_BENCHMARK_JSON", "benchmark.json")
# Runs of each side of the confirm and import rows, alternating which side
# goes first; the median run of each side is kept.
REPEAT = max(int(os.environ.get("OMP_BENCH_REPEAT", "3")), 1)
# Rounds of each scheduled action's size below 100,000, each set up anew; the
# row is their mean. A run of one or two batches lasts under a second and
# catches this machine's CPU at one speed (a fixed CPU loop varies by as much as
# 60 % from one second to the next here), a run of 100,000 lasts minutes and
# averages it: one round.
CRON_REPEAT = max(int(os.environ.get("OMP_BENCH_CRON_REPEAT", "5")), 1)
CRON_LONG_SIZE = 100_000


def finish_as_committed(cr):
    """What a commit does before its COMMIT, measured with the work: the
    ORM flushed and the pre-commit hooks run (Odoo's tracking messages
    among them), until none is left."""
    cr.flush()


def forget_rolled_back(cr):
    """After a rollback to a savepoint, drop the hooks that the rolled-back
    work queued, as Odoo's own rollback does. A savepoint's rollback leaves
    them queued: over a run they piled up (6,971 pre-commit callbacks after
    200 orders interleaved) and slowed every row measured after them (the
    import of 200 orders 1.9x for ours, 1.5x for base_import)."""
    cr.clear()
    cr.postcommit.clear()


def measure(env, label, function, quiet=False):
    """Run ``function`` in a savepoint rolled back afterwards; return its
    queries and wall time (flush and pre-commit hooks included)."""
    cr = env.cr
    # What the set-up left (its tracking too), before the clock starts.
    finish_as_committed(cr)
    env.invalidate_all()
    queries_before = cr.sql_log_count
    start = time.perf_counter()
    with cr.savepoint(flush=False) as savepoint:
        result = function()
        finish_as_committed(cr)
        seconds = time.perf_counter() - start
        queries = cr.sql_log_count - queries_before
        savepoint.rollback()
        forget_rolled_back(cr)
    env.invalidate_all()
    if not quiet:
        print(f"  {label}: {queries} queries, {seconds:.2f} s ({result})", flush=True)
    return {"queries": queries, "seconds": round(seconds, 3), "result": result}


def users(env):
    """A receiver and a reviewer: the procedure path is two people's work."""
    receiver, reviewer = env["res.users"].create(
        [
            {
                "name": "Bench Receiver",
                "login": "bench_receiver",
                "group_ids": [
                    (4, env.ref("order_mgmt_procedure.group_order_receiver").id)
                ],
            },
            {
                "name": "Bench Reviewer",
                "login": "bench_reviewer",
                "group_ids": [
                    (4, env.ref("order_mgmt_procedure.group_order_reviewer").id),
                    (4, env.ref("stock.group_stock_user").id),
                ],
            },
        ]
    )
    return receiver, reviewer


def measure_sides(env, sides, repeat=REPEAT, after=None):
    """Measure each of ``sides`` (``{key: (label, function)}``) ``repeat``
    times, the side that goes first alternating from one round to the next,
    and keep each side's median run (by seconds), with every run's seconds
    (``runs_seconds``): one run's wall time varies by 10-30 % on a shared
    machine, and so does the side measured first. Queries do not vary.
    ``after(key, entry)`` runs after each measure (to keep its steps)."""
    runs = {key: [] for key in sides}
    keys = list(sides)
    for index in range(repeat):
        for key in keys if index % 2 == 0 else keys[::-1]:
            label, function = sides[key]
            suffix = f" (run {index + 1} of {repeat})" if repeat > 1 else ""
            entry = measure(env, label + suffix, function)
            if after:
                after(key, entry)
            runs[key].append(entry)
    result = {}
    for key, entries in runs.items():
        median = dict(sorted(entries, key=lambda e: e["seconds"])[len(entries) // 2])
        median["runs_seconds"] = [entry["seconds"] for entry in entries]
        result[key] = median
    return result


def compare(env, procedure, plain, items, labels, after=None, repeat=REPEAT):
    """Measure ``procedure(items)`` against ``plain(items)``, each warmed up
    first on a few items (rolled back): neither pays the other's cold
    caches; then measure_sides, ``repeat`` rounds."""
    for function in (procedure, plain):
        measure(env, "warm-up", lambda f=function: f(items[:5]), quiet=True)
    return measure_sides(
        env,
        {
            "procedure": (labels[0], lambda: procedure(items)),
            "plain": (labels[1], lambda: plain(items)),
        },
        repeat=repeat,
        after=after,
    )


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
                "is_storable": True,
                "list_price": 10 + i,
            }
            for i in range(20)
        ]
    )
    stock = env.ref("stock.warehouse0").lot_stock_id
    for product in products:
        env["stock.quant"]._update_available_quantity(product, stock, 1_000_000)
    return customers, products


def order_values(customers, products, count, lines, offset=0):
    return [
        {
            "partner_id": customers[i % len(customers)].id,
            "order_line": [
                (
                    0,
                    0,
                    {
                        "product_id": products[(i + j) % len(products)].id,
                        "product_uom_qty": j + 1,
                    },
                )
                for j in range(lines)
            ],
        }
        for i in range(offset, offset + count)
    ]


class StepClock:
    """Queries and wall time of each step of a measured run, summed over the
    items (the flush and pre-commit hooks at the end of the run counted
    apart): where a row's queries and seconds go. ``reset`` starts a run
    (the warm-up's are not kept)."""

    def __init__(self, env):
        self.env = env
        self.steps = {}

    def reset(self):
        self.steps = {}

    def __call__(self, name, function, *args):
        cr = self.env.cr
        queries, start = cr.sql_log_count, time.perf_counter()
        result = function(*args)
        step = self.steps.setdefault(name, {"queries": 0, "seconds": 0.0})
        step["queries"] += cr.sql_log_count - queries
        step["seconds"] += time.perf_counter() - start
        return result

    def split(self, entry, items):
        """The steps of ``entry`` (a measure() result), per item too; what
        the run's final flush added is its own step."""
        steps = {
            name: dict(step, seconds=round(step["seconds"], 3))
            for name, step in self.steps.items()
        }
        steps["final flush"] = {
            "queries": entry["queries"] - sum(s["queries"] for s in steps.values()),
            "seconds": round(
                max(entry["seconds"] - sum(s["seconds"] for s in steps.values()), 0),
                3,
            ),
        }
        for step in steps.values():
            step["queries_per_item"] = round(step["queries"] / items, 1)
            step["ms_per_item"] = round(step["seconds"] * 1000 / items, 1)
        entry["steps"] = steps
        return steps


def print_steps(label, steps):
    print(
        f"    {label}, per item: "
        + " | ".join(
            f"{name} {step['queries_per_item']} q {step['ms_per_item']} ms"
            for name, step in steps.items()
        ),
        flush=True,
    )


def bench_confirm(env, receiver, reviewer, customers, products):
    """Taking and confirming FLOW_ORDERS orders one by one, as people do:
    receiver creates and submits, reviewer ticks the manual items and
    approves; plain Odoo: create and confirm, the procedure off. Each side
    creates from its own copy of the values (create writes the order's
    name into them: the side measured second would skip the sequence).
    Prints and returns the split by step (create, submit, tick, approve;
    create, confirm)."""
    values = order_values(customers, products, FLOW_ORDERS, LINES)
    company = env.company
    ours, theirs = StepClock(env), StepClock(env)

    def procedure(values):
        ours.reset()
        company.order_review_required = True
        Order = env(user=receiver)["sale.order"]
        for vals in copy.deepcopy(values):
            order = ours("create", Order.create, vals)
            ours("submit", order.action_submit_review)
            order = order.with_user(reviewer)
            manual = order.review_line_ids.filtered(
                lambda line: line.check_type == "manual"
            )
            ours("tick", manual.action_mark_pass)
            ours("approve", order.action_review_approve)
        return f"{len(values)} orders"

    def plain(values):
        theirs.reset()
        company.order_review_required = False
        Order = env(user=reviewer)["sale.order"]
        for vals in copy.deepcopy(values):
            order = theirs("create", Order.create, vals)
            theirs("confirm", order.action_confirm)
        return f"{len(values)} orders"

    clocks = {"procedure": ours, "plain": theirs}

    def keep_steps(key, entry):
        entry["clock_steps"] = copy.deepcopy(clocks[key].steps)

    result = compare(
        env,
        procedure,
        plain,
        values,
        (
            f"submit + review + approve, {FLOW_ORDERS} x {LINES}",
            f"create + confirm, {FLOW_ORDERS} x {LINES}",
        ),
        after=keep_steps,
    )
    # The split of each side's median run.
    for key, clock in clocks.items():
        clock.steps = result[key].pop("clock_steps")
    print_steps("procedure", ours.split(result["procedure"], len(values)))
    print_steps("plain", theirs.split(result["plain"], len(values)))
    return result


def tier_approval(env, receiver, reviewer, vals):
    """One order through sale_tier_validation's approval, one tier: the
    receiver creates it and requests validation, the reviewer validates and
    confirms."""
    order = env(user=receiver)["sale.order"].create(vals)
    order.request_validation()
    order = order.with_user(reviewer)
    order.validate_tier()
    order.action_confirm()
    if order.state != "sale":
        raise RuntimeError(f"tier validation: {order.name} unconfirmed")


def bench_confirm_interleaved(
    env, receiver, reviewer, customers, products, status=None
):
    """The confirm row's two paths taken order by order in turn (ours then
    plain for one order, plain then ours for the next), each order's flush
    its own: both sides meet this machine's CPU at the same speeds, which
    whole runs of each side one after the other do not (a fixed CPU loop
    varies by as much as 60 % from one second to the next here). Wall and
    CPU time and queries summed by side; the switch set between two orders,
    not timed. With sale_tier_validation installed, its approval (one tier:
    request, validate, confirm) is a third side taken in the same turns,
    its tier definition active only for its own orders. Rolled back at the
    end."""
    values = order_values(customers, products, FLOW_ORDERS, LINES)
    company = env.company
    cr = env.cr
    with_tier = bool(status) and status.get("sale_tier_validation") is None

    def procedure(vals):
        order = env(user=receiver)["sale.order"].create(vals)
        order.action_submit_review()
        order = order.with_user(reviewer)
        order.review_line_ids.filtered(
            lambda line: line.check_type == "manual"
        ).action_mark_pass()
        order.action_review_approve()

    def plain(vals):
        env(user=reviewer)["sale.order"].create(vals).action_confirm()

    sides = {"procedure": (procedure, True), "plain": (plain, False)}
    if with_tier:
        sides["tier"] = (
            lambda vals: tier_approval(env, receiver, reviewer, vals),
            False,
        )
    totals = {key: {"queries": 0, "seconds": 0.0, "cpu_seconds": 0.0} for key in sides}
    finish_as_committed(cr)
    env.invalidate_all()
    with cr.savepoint(flush=False) as savepoint:
        definition = (
            env["tier.definition"].create(
                {
                    "name": "Bench approval",
                    "model_id": env["ir.model"]._get_id("sale.order"),
                    "review_type": "individual",
                    "reviewer_id": reviewer.id,
                }
            )
            if with_tier
            else None
        )
        for index, vals in enumerate(copy.deepcopy(values[:5]) + values):
            # Each side first in turn.
            keys = list(sides)
            keys = keys[index % len(keys) :] + keys[: index % len(keys)]
            for key in keys:
                function, review = sides[key]
                company.order_review_required = review
                if definition:
                    definition.active = key == "tier"
                finish_as_committed(cr)
                queries = cr.sql_log_count
                wall, cpu = time.perf_counter(), time.process_time()
                function(copy.deepcopy(vals))
                finish_as_committed(cr)
                if index >= 5:  # the first five warm both sides up
                    total = totals[key]
                    total["queries"] += cr.sql_log_count - queries
                    total["seconds"] += time.perf_counter() - wall
                    total["cpu_seconds"] += time.process_time() - cpu
        savepoint.rollback()
        forget_rolled_back(cr)
    env.invalidate_all()
    for key, total in totals.items():
        total["seconds"] = round(total["seconds"], 3)
        total["cpu_seconds"] = round(total["cpu_seconds"], 3)
        print(
            f"  {key}, {FLOW_ORDERS} x {LINES} interleaved order by order: "
            f"{total['queries']} queries, {total['seconds']:.2f} s, "
            f"CPU {total['cpu_seconds']:.2f} s",
            flush=True,
        )
    if "tier" in totals:
        totals["vs_peer"] = {
            "sale_tier_validation": {
                key: vs(totals["procedure"], totals["tier"], key)
                for key in ("queries", "seconds", "cpu_seconds")
            }
        }
    return totals


def delivery_customers(env, customers):
    """The customers of the deliveries' orders, with an e-mail address: both
    the procedure's shipping e-mail and Odoo's delivery confirmation then
    reach someone (Odoo's template skips a customer without an address, so
    without one its row would send nothing)."""
    return env["res.partner"].create(
        [
            {
                "name": f"Bench Consignee {i}",
                "email": f"consignee{i}@bench.example.com",
                "is_company": True,
                "street": customer.street,
                "city": customer.city,
                "zip": customer.zip,
                "country_id": customer.country_id.id,
            }
            for i, customer in enumerate(customers)
        ]
    )


def bench_deliveries(env, reviewer, customers, products):
    """Validating the deliveries of FLOW_ORDERS confirmed orders one by one:
    packing check then validation, or validation alone with the check off.
    With the check on, validating queues the customer's shipping e-mail
    (carrier, tracking, expected date) and the scheduled action sends the
    queue in batches: that step is measured in the procedure's row (one run
    of it after the validations). Plain Odoo's own delivery confirmation
    e-mail (Inventory > Settings > Email Confirmation), sent inline, is
    measured too, as a second plain row, for the same work (without the
    delivery slip PDF Odoo's e-mail attaches, which ours does not), and the
    procedure with it (the company uses Odoo's e-mail: ours is not sent).
    The customers have an e-mail address. Last, the same deliveries
    validated in one call (a list's Validate on every delivery), both sides."""
    company = env.company
    company.order_review_required = False
    orders = env["sale.order"].create(
        order_values(delivery_customers(env, customers), products, FLOW_ORDERS, LINES)
    )
    orders.action_confirm()
    pickings = orders.picking_ids.filtered(lambda p: p.state == "assigned")
    # Without the delivery slip Odoo's template attaches (a PDF printed by
    # wkhtmltopdf for each e-mail, seconds each): the same e-mail work as
    # the procedure's shipping e-mail, which attaches nothing.
    company.stock_mail_confirmation_template_id.report_template_ids = False
    env.flush_all()
    ours, theirs = StepClock(env), StepClock(env)
    Picking = env["stock.picking"]

    def prepare(pickings):
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        return pickings.with_context(skip_sms=True, skip_backorder=True)

    def validate(clock, picking):
        clock("validate", prepare(picking).button_validate)

    def switches(packing, email):
        company.packing_check_required = packing
        company.stock_move_email_validation = email

    def procedure(pickings):
        ours.reset()
        switches(True, False)
        for picking in pickings.with_user(reviewer):
            ours("pack", picking.action_mark_packed)
            validate(ours, picking)
        ours("shipping e-mails (queue)", Picking._cron_send_shipping_notices)
        return f"{len(pickings)} deliveries"

    def plain(pickings):
        theirs.reset()
        switches(False, False)
        for picking in pickings.with_user(reviewer):
            validate(theirs, picking)
        return f"{len(pickings)} deliveries"

    def with_odoo_email(packing):
        def run(pickings):
            switches(packing, True)
            for picking in pickings.with_user(reviewer):
                if packing:
                    picking.action_mark_packed()
                validate(StepClock(env), picking)
            return f"{len(pickings)} deliveries"

        return run

    def batch(packing):
        def run(pickings):
            switches(packing, False)
            pickings = pickings.with_user(reviewer)
            if packing:
                pickings.action_mark_packed()
            prepare(pickings).button_validate()
            if packing:
                Picking._cron_send_shipping_notices()
            return f"{len(pickings)} deliveries in one call"

        return run

    result = compare(
        env,
        procedure,
        plain,
        pickings,
        ("pack check + validate + shipping e-mail", "validate"),
        # One round: the row's goal is its queries, and its variants are many.
        repeat=1,
    )
    print_steps("procedure", ours.split(result["procedure"], len(pickings)))
    print_steps("plain", theirs.split(result["plain"], len(pickings)))
    for key, packing, label in (
        ("plain_with_email", False, "validate + Odoo's delivery confirmation e-mail"),
        (
            "procedure_with_odoo_email",
            True,
            "pack check + validate, Odoo's delivery e-mail instead of ours",
        ),
    ):
        run = with_odoo_email(packing)
        measure(env, "warm-up", lambda r=run: r(pickings[:5]), quiet=True)
        result[key] = measure(env, label, lambda r=run: r(pickings))
    with_email = result["plain_with_email"]
    for key in ("queries", "seconds"):
        result[f"ratio_{key}_vs_plain_with_email"] = (
            round(result["procedure"][key] / with_email[key], 2)
            if with_email[key]
            else None
        )
        result[f"ratio_{key}_with_odoo_email"] = (
            round(result["procedure_with_odoo_email"][key] / with_email[key], 2)
            if with_email[key]
            else None
        )
    print(
        "    procedure / validate with Odoo's e-mail: "
        f"{result['ratio_queries_vs_plain_with_email']} queries, "
        f"{result['ratio_seconds_vs_plain_with_email']} seconds; "
        "both with Odoo's e-mail: "
        f"{result['ratio_queries_with_odoo_email']} queries, "
        f"{result['ratio_seconds_with_odoo_email']} seconds",
        flush=True,
    )
    batches = compare(
        env,
        batch(True),
        batch(False),
        pickings,
        (
            "in one call: pack check + validate + shipping e-mails",
            "in one call: validate",
        ),
        repeat=1,
    )
    for key in ("queries", "seconds"):
        plain_value = batches["plain"][key]
        batches[f"ratio_{key}"] = (
            round(batches["procedure"][key] / plain_value, 2) if plain_value else None
        )
    print(
        f"    in one call, procedure / plain: {batches['ratio_queries']} queries, "
        f"{batches['ratio_seconds']} seconds",
        flush=True,
    )
    result["one_call"] = batches
    return result


def backend_cpu(env):
    """CPU seconds used so far by the database's server processes serving
    clients (Linux, the cluster on this machine; empty otherwise), by
    process id: the autovacuum's are left out."""
    env.cr.execute(
        """SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend'"""
    )
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for (pid,) in env.cr.fetchall():
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def database_active(env):
    """Seconds the database's sessions have spent executing statements so
    far (PostgreSQL 14+: ``pg_stat_database.active_time``; None before):
    PostgreSQL's own time, on any machine. A server process reports its
    statistics at most once a second: read after a pause."""
    if env.cr.connection.server_version < 140000:
        return None
    env.cr.execute("SELECT pg_stat_clear_snapshot()")
    env.cr.execute(
        "SELECT active_time FROM pg_stat_database WHERE datname = current_database()"
    )
    row = env.cr.fetchone()
    return row[0] / 1000 if row and row[0] is not None else None


def settle(env, tables):
    """After a set-up in SQL, as autovacuum would do on a live database:
    VACUUM ANALYZE the ``tables`` (the planner sees their real sizes, the
    index-only scans their visibility), so that autovacuum does not start
    on them during a measured run."""
    env.cr.commit()
    with env.registry.cursor() as cr:
        cr.connection.autocommit = True
        try:
            for table in tables:
                cr.execute(f'VACUUM ANALYZE "{table}"')
        finally:
            cr.connection.autocommit = False


def cpu_wait():
    """Seconds this process has spent so far ready to run but waiting for a
    CPU (Linux's /proc/self/schedstat; None elsewhere): on a loaded machine,
    the part of the wall time that is the other processes' and not this
    one's work."""
    try:
        with open("/proc/self/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def run_scheduled(env, xmlid, label, quiet=False):
    """Run the scheduled action ``xmlid`` as the scheduler does (Run
    Manually: its own cursor, a commit per batch), again as long as it has
    records left, as the scheduler runs it again as soon as possible when
    the time of a run is up. Queries of every cursor, wall time, CPU time of
    this process and of the database's server processes, and PostgreSQL's
    time executing statements (less noisy than the wall time on a shared
    machine), the time this process waited for a CPU, batches."""
    cron = env.ref(xmlid)
    Progress = env["ir.cron.progress"]
    before = max(Progress.search([("cron_id", "=", cron.id)]).ids or [0])
    env.cr.commit()
    time.sleep(1.1)
    active_before = database_active(env)
    queries_before = sql_db.sql_counter
    database_before = backend_cpu(env)
    cpu_before = time.process_time()
    wait_before = cpu_wait()
    start = time.perf_counter()
    runs = 0
    while True:
        runs += 1
        outcome = cron.method_direct_trigger()
        if outcome is not True:
            raise RuntimeError(f"{label}: the scheduled action failed: {outcome}")
        # The job's own cursor committed its batches: a new transaction sees
        # them (and the scheduling of the run is kept).
        env.cr.commit()
        env.invalidate_all()
        last = Progress.search([("cron_id", "=", cron.id)], order="id desc", limit=1)
        if not last.remaining:
            break
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_before
    wait_after = cpu_wait()
    wait = wait_after - wait_before if wait_before is not None else None
    # A server process started during the run counts from zero.
    database = sum(
        used - database_before.get(pid, 0.0) for pid, used in backend_cpu(env).items()
    )
    queries = sql_db.sql_counter - queries_before
    env.cr.commit()
    time.sleep(1.1)
    active_after = database_active(env)
    active = (
        active_after - active_before
        if active_before is not None and active_after is not None
        else None
    )
    progress = Progress.search([("cron_id", "=", cron.id), ("id", ">", before)])
    done = sum(progress.mapped("done"))
    batch_size = CRON_BATCH_SIZES[xmlid]
    batches = max(-(-done // batch_size), 1)
    result = {
        "queries": queries,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu + database, 3),
        "odoo_cpu_seconds": round(cpu, 3),
        "database_cpu_seconds": round(database, 3),
        "database_active_seconds": round(active, 3) if active is not None else None,
        "odoo_cpu_wait_seconds": round(wait, 3) if wait is not None else None,
        "done": done,
        "batches": batches,
        "runs": runs,
        "calls": len(progress),
        "queries_per_batch": round(queries / batches, 1),
    }
    if not quiet:
        active_text = f", PostgreSQL executing {active:.2f} s" if active else ""
        if wait is not None:
            active_text += f", waiting for a CPU {wait:.2f} s"
        print(
            f"  {label}: {queries} queries ({result['queries_per_batch']} a batch "
            f"of {batch_size}), {seconds:.2f} s, CPU {cpu:.2f} s + database "
            f"{database:.2f} s{active_text}, {done} done in {runs} run(s), "
            f"{len(progress)} call(s)",
            flush=True,
        )
    return result


CLOSE_WINDOWS = "order_mgmt_procedure.ir_cron_close_after_sales_windows"
FLAG_OVERDUE = "order_mgmt_procedure.ir_cron_flag_overdue_returns"
CHECK_STOCK = "order_mgmt_procedure.ir_cron_check_stock"
# The methods' default batch sizes, which the scheduled actions use.
CRON_BATCH_SIZES = {CLOSE_WINDOWS: 500, FLAG_OVERDUE: 1000, CHECK_STOCK: 100}
# What the set-ups copy, vacuumed and analyzed after each.
CRON_TABLES = (
    "sale_order",
    "sale_order_line",
    "sale_order_stage_history",
    "order_return_request",
    "order_return_request_line",
    "mail_followers",
    "mail_message",
    "mail_activity",
    "stock_reference",
    "stock_picking",
    "stock_move",
    "stock_reference_sale_rel",
    "stock_reference_move_rel",
    "ir_cron_progress",
)


def clone_rows(cr, tables, copies, suffixed=(), followers=()):
    """Replicate rows in SQL, ``copies`` times each: ``tables`` is a list of
    (table, condition) picking the template rows, parents first. A column
    whose foreign key points to a cloned table points to the copy of the same
    round (an order's lines, pickings and moves stay together); ``suffixed``
    (table, column) get the round appended (unique names); tables without an
    ``id`` (many2many relations) are cloned for the rows that reference a
    template row. ``followers``: models whose followers are copied along."""
    maps = {}
    for table, condition in tables:
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s "
            "AND is_generated = 'NEVER' ORDER BY ordinal_position",
            [table],
        )
        columns = [row[0] for row in cr.fetchall()]
        cr.execute(
            """SELECT a.attname, r.relname
                 FROM pg_constraint c
                 JOIN pg_class t ON t.oid = c.conrelid
                 JOIN pg_class r ON r.oid = c.confrelid
                 JOIN pg_attribute a ON a.attrelid = c.conrelid
                                    AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND t.relname = %s
                  AND array_length(c.conkey, 1) = 1""",
            [table],
        )
        foreign = {column: ref for column, ref in cr.fetchall() if ref in maps}
        # The round of a copy: the map's for a table with ids, the series'
        # for a relation.
        round_ = "m.k" if "id" in columns else "k.k"
        joins, values = [], []
        for column in columns:
            if column == "id":
                continue
            if column in foreign:
                alias = f"m_{column}"
                joins.append(
                    f"LEFT JOIN {maps[foreign[column]]} {alias} "
                    f'ON {alias}.old_id = t."{column}" AND {alias}.k = {round_}'
                )
                values.append(f'COALESCE({alias}.new_id, t."{column}")')
            elif (table, column) in suffixed:
                values.append(f"t.\"{column}\" || '/' || {round_}")
            else:
                values.append(f't."{column}"')
        names = ", ".join(f'"{c}"' for c in columns if c != "id")
        if "id" in columns:
            maps[table] = f"bench_map_{table}"
            cr.execute(
                f"""DROP TABLE IF EXISTS {maps[table]};
                    CREATE TEMP TABLE {maps[table]} AS
                    SELECT t.id AS old_id, k.k,
                           nextval(pg_get_serial_sequence('{table}', 'id')) AS new_id
                      FROM {table} t, generate_series(1, %s) k(k)
                     WHERE {condition};
                    CREATE INDEX ON {maps[table]} (old_id, k)""",
                [copies],
            )
            cr.execute(
                f"""INSERT INTO {table} (id, {names})
                    SELECT m.new_id, {", ".join(values)}
                      FROM {maps[table]} m
                      JOIN {table} t ON t.id = m.old_id
                      {" ".join(joins)}"""
            )
        else:
            mapped = " OR ".join(f"m_{c}.new_id IS NOT NULL" for c in foreign)
            cr.execute(
                f"""INSERT INTO {table} ({names})
                    SELECT {", ".join(values)}
                      FROM {table} t CROSS JOIN generate_series(1, %s) k(k)
                      {" ".join(joins)}
                     WHERE ({condition}) AND ({mapped})""",
                [copies],
            )
    for model in followers:
        table = model.replace(".", "_")
        cr.execute(
            f"""INSERT INTO mail_followers (res_model, res_id, partner_id)
                SELECT f.res_model, m.new_id, f.partner_id
                  FROM mail_followers f JOIN {maps[table]} m ON m.old_id = f.res_id
                 WHERE f.res_model = %s""",
            [model],
        )


# Records made by the ORM for a size, replicated by SQL to the size.
CRON_TEMPLATES = 10


def ids_sql(ids):
    return f"ARRAY[{','.join(str(int(i)) for i in ids)}]::int[]"


def replicate_orders(env, orders, size, waiting=False):
    """Copies of the ``orders`` (and their requests, or their pickings and
    moves when ``waiting``) in SQL, up to ``size`` orders in all: the
    set-up of a scheduled action in seconds, whatever the size. What the
    scheduled actions read is copied as the ORM made it: the state, the
    dates, the company, the followers, the lines, the deliveries."""
    env.flush_all()
    # The sizes are multiples of CRON_TEMPLATES: exactly ``size`` orders.
    copies = -(-size // len(orders)) - 1
    if copies <= 0:
        return
    order_ids = ids_sql(orders.ids)
    tables = [
        ("sale_order", f"t.id = ANY({order_ids})"),
        ("sale_order_line", f"t.order_id = ANY({order_ids})"),
        ("sale_order_stage_history", f"t.order_id = ANY({order_ids})"),
    ]
    followers = ["sale.order"]
    if waiting:
        pickings = ids_sql(orders.picking_ids.ids)
        moves = ids_sql(orders.picking_ids.move_ids.ids)
        references = ids_sql(orders.stock_reference_ids.ids)
        tables += [
            ("stock_reference", f"t.id = ANY({references})"),
            ("stock_picking", f"t.id = ANY({pickings})"),
            ("stock_move", f"t.id = ANY({moves})"),
            ("stock_reference_sale_rel", f"t.sale_id = ANY({order_ids})"),
            ("stock_reference_move_rel", f"t.move_id = ANY({moves})"),
        ]
        followers.append("stock.picking")
    else:
        requests = ids_sql(orders.return_request_ids.ids)
        tables += [
            ("order_return_request", f"t.id = ANY({requests})"),
            ("order_return_request_line", f"t.request_id = ANY({requests})"),
        ]
        followers.append("order.return.request")
    suffixed = {
        ("sale_order", "name"),
        ("sale_order", "import_reference_key"),
        ("stock_picking", "name"),
        ("stock_reference", "name"),
        ("order_return_request", "name"),
    }
    clone_rows(env.cr, tables, copies, suffixed=suffixed, followers=followers)
    env.invalidate_all()


def setup_completed(env, customers, products, size):
    """``size`` completed orders whose after-sales window ended, each with
    an approved return request past its deadline (setting up, in SQL but
    for a few)."""
    count = min(size, CRON_TEMPLATES)
    orders = env["sale.order"].create(order_values(customers, products, count, 1))
    env.flush_all()
    env.cr.execute(
        """UPDATE sale_order
              SET state = 'sale', procedure_stage = 'completed',
                  completed_date = now() - interval '40 days',
                  after_sales_deadline = current_date - 10,
                  after_sales_closed = false
            WHERE id = ANY(%s)""",
        [orders.ids],
    )
    requests = env["order.return.request"].create(
        [{"order_id": order.id, "reason": "bench"} for order in orders]
    )
    env.flush_all()
    env.cr.execute(
        """UPDATE order_return_request
              SET state = 'approved', deadline = current_date - 1,
                  approved_by_id = %s
            WHERE id = ANY(%s)""",
        [env.ref("base.user_admin").id, requests.ids],
    )
    env.invalidate_all()
    replicate_orders(env, orders, size)
    settle(env, CRON_TABLES)


def setup_waiting(env, customers, missing, size):
    """``size`` orders waiting for replenishment: a few confirmed for real,
    copied with their deliveries (setting up)."""
    count = min(size, CRON_TEMPLATES)
    env.company.order_review_required = False
    waiting = env["sale.order"].create(order_values(customers, missing, count, 1))
    waiting.action_confirm()
    env.company.order_review_required = True
    env.flush_all()
    env.cr.execute(
        """UPDATE sale_order SET procedure_stage = 'awaiting_replenishment'
            WHERE id = ANY(%s)""",
        [waiting.ids],
    )
    env.invalidate_all()
    replicate_orders(env, waiting, size, waiting=True)
    settle(env, CRON_TABLES)


def clear_waiting(env):
    """The waiting orders out of the next size's way (the windows are
    closed and the requests flagged)."""
    env.cr.execute(
        """UPDATE sale_order SET procedure_stage = 'cancelled'
            WHERE procedure_stage = 'awaiting_replenishment'"""
    )
    env.company.order_review_required = False
    env.cr.commit()
    env.invalidate_all()


def bench_crons(env, customers, products):
    """The scheduled actions on CRON_SIZES orders each, run through Odoo's
    scheduler: queries must grow with the batches, time with the records.
    A few orders are made by the ORM (the waiting ones confirmed for real)
    and put in the wanted state by SQL, then replicated by SQL to the size,
    vacuumed and analyzed (setting up, not measured). Each action is first
    run once on a few records (not measured): the smallest size does not
    pay the first run's cold caches. Each size below CRON_LONG_SIZE runs
    CRON_REPEAT rounds, each set up anew, and its row is their mean (see
    CRON_REPEAT). The scheduler commits each batch: the
    set-up is committed too (the benchmark's database is its own, dropped at
    the end), and what a size leaves is taken out of the next size's way."""
    results = {}
    # Bought on order, never in stock: its orders wait for replenishment.
    missing = env["product.product"].create(
        {
            "name": "Bench Product Out of Stock",
            "default_code": "BENCH-OUT",
            "type": "consu",
            "is_storable": True,
            "list_price": 10,
        }
    )
    env.company.order_review_required = False
    setup_completed(env, customers, products, CRON_TEMPLATES)
    run_scheduled(env, CLOSE_WINDOWS, "warm-up", quiet=True)
    run_scheduled(env, FLAG_OVERDUE, "warm-up", quiet=True)
    setup_waiting(env, customers, missing, CRON_TEMPLATES)
    run_scheduled(env, CHECK_STOCK, "warm-up", quiet=True)
    clear_waiting(env)
    for size in CRON_SIZES:
        rounds = {name: [] for name in CRON_ROWS}
        count = 1 if size >= CRON_LONG_SIZE else CRON_REPEAT
        for index in range(count):
            suffix = f", round {index + 1} of {count}" if count > 1 else ""
            set_up(
                f"{size} completed orders and requests",
                setup_completed,
                env,
                customers,
                products,
                size,
            )
            rounds["close windows"].append(
                run_scheduled(
                    env,
                    CLOSE_WINDOWS,
                    f"after-sales windows closing, {size} orders{suffix}",
                )
            )
            rounds["flag overdue"].append(
                run_scheduled(
                    env,
                    FLAG_OVERDUE,
                    f"overdue returns flagged, {size} requests{suffix}",
                )
            )
            set_up(
                f"{size} orders awaiting replenishment",
                setup_waiting,
                env,
                customers,
                missing,
                size,
            )
            rounds["stock re-check"].append(
                run_scheduled(
                    env, CHECK_STOCK, f"stock re-check, {size} orders{suffix}"
                )
            )
            clear_waiting(env)
        for name, entries in rounds.items():
            results[f"{name}, {size}"] = mean_round(entries)
    return results


CRON_ROWS = ("close windows", "flag overdue", "stock re-check")


def set_up(label, function, *args):
    """Run the set-up ``function(*args)`` (not measured), print its seconds."""
    start = time.perf_counter()
    function(*args)
    print(f"  (set up {label} in {time.perf_counter() - start:.0f} s)", flush=True)


def mean_round(entries):
    """A scheduled action's row from its rounds: each measure's mean (None
    when a round lacks it), the rounds and every round's wall seconds."""
    row = dict(entries[0])
    for key, value in entries[0].items():
        if not isinstance(value, (int, float)):
            continue
        values = [entry.get(key) for entry in entries]
        if None in values:
            row[key] = None
            continue
        mean = sum(values) / len(values)
        row[key] = round(mean, 3) if isinstance(value, float) else round(mean, 1)
    row["rounds"] = len(entries)
    row["rounds_seconds"] = [entry["seconds"] for entry in entries]
    return row


# The time measures of a scheduled action's row, as printed.
CRON_TIMES = {
    "seconds": "wall",
    "odoo_cpu_seconds": "Odoo CPU",
    "database_cpu_seconds": "PG CPU",
    "cpu_seconds": "CPU",
    "database_active_seconds": "PG exec",
}


def growth_ratio(row, base, key):
    if row.get(key) is None or not base.get(key):
        return None
    return round(row[key] / base[key], 1)


def cron_growth(crons):
    """For each scheduled action, from the smallest size to each larger one:
    records, each time measure (wall, this process's CPU, the database
    server processes' CPU, both, PostgreSQL's execution time) and queries
    per batch, as ratios; printed (the target: time at most 1.1x the
    records)."""
    growth = {}
    for name in CRON_ROWS:
        rows = [(size, crons.get(f"{name}, {size}")) for size in CRON_SIZES]
        rows = [(size, row) for size, row in rows if row]
        if len(rows) < 2:
            continue
        base_size, base = rows[0]
        for size, row in rows[1:]:
            entry = {"records": round(size / base_size, 1)}
            for key in CRON_TIMES:
                entry[key] = growth_ratio(row, base, key)
            entry["queries_per_batch"] = round(
                row["queries_per_batch"] / base["queries_per_batch"], 2
            )
            growth[f"{name}, {size} / {base_size}"] = entry
    if crons:
        print(
            f"\n{'scheduled action (seconds)':<30}"
            + "".join(f"{label:>10}" for label in CRON_TIMES.values())
            + f"{'calls':>7}"
        )
        for name, entry in crons.items():
            print(
                f"{name:<30}"
                + "".join(
                    f"{entry[key] if entry.get(key) is not None else '-':>10}"
                    for key in CRON_TIMES
                )
                + f"{entry.get('calls', '-'):>7}"
            )
    if growth:
        print(
            f"\n{'scheduled action growth':<34}{'records':>9}"
            + "".join(f"{label:>10}" for label in CRON_TIMES.values())
            + f"{'q/batch':>9}"
        )
        for name, entry in growth.items():
            print(
                f"{name:<34}{entry['records']:>9}"
                + "".join(
                    f"{entry[key] if entry[key] is not None else '-':>10}"
                    for key in CRON_TIMES
                )
                + f"{entry['queries_per_batch']:>9}"
            )
    return growth


def order_rows(customers, products, count=None):
    """``count`` (``ORDERS``) orders of ``LINES`` lines as (ref, customer,
    product, qty, price)."""
    rows = []
    for order in range(ORDERS if count is None else count):
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


ADDON_IMPORT_HEADER = [
    "External Order Reference",
    "Customer",
    "Product",
    "Quantity",
    "Unit Price",
]
# Orders of the files whose import's memory peak is measured.
IMPORT_MEMORY_SIZES = [
    int(size)
    for size in os.environ.get("OMP_BENCH_IMPORT_MEMORY", "1000,5000").split(",")
    if size.strip()
]


def import_checks_on(env):
    """Every switch of the procedure on, as a company running it has them:
    the orders get their priority from the rules, their stage and its
    history (the import's own checks are always on)."""
    env.company.write(
        {
            "order_review_required": True,
            "order_reviewer_not_creator": True,
            "packing_check_required": True,
            "supplier_qualification_required": True,
        }
    )


def import_memory_peak(env, user, customers, products, count):
    """The wizard's import of ``count`` orders of ``LINES`` lines under
    tracemalloc (rolled back): the peak of Python memory while it runs, in
    MB, and the file's size. Not timed: tracemalloc slows Python down."""
    content = to_csv(ADDON_IMPORT_HEADER, order_rows(customers, products, count))
    company = env.company
    limits = company.batch_import_max_rows, company.batch_import_max_size_mb
    company.batch_import_max_rows = max(limits[0], count * LINES)
    company.batch_import_max_size_mb = max(limits[1], len(content) // 2**20 + 1)
    wizard = env(user=user)["sale.order.batch.import"].create(
        {"file": base64.b64encode(content), "filename": "bench.csv"}
    )
    finish_as_committed(env.cr)
    env.invalidate_all()
    gc.collect()
    with env.cr.savepoint(flush=False) as savepoint:
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        wizard.action_import()
        finish_as_committed(env.cr)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        imported = len(wizard.order_ids)
        savepoint.rollback()
        forget_rolled_back(env.cr)
    env.invalidate_all()
    company.batch_import_max_rows, company.batch_import_max_size_mb = limits
    # The file is in memory while it is imported, twice: the wizard's field
    # (base64, read from the database) and its bytes decoded.
    file_bytes = len(content) + len(base64.b64encode(content))
    result = {
        "orders": imported,
        "rows": count * LINES,
        "file_mb": round(len(content) / 2**20, 2),
        "peak_mb": round(peak / 2**20, 1),
        "peak_beyond_file_mb": round((peak - file_bytes) / 2**20, 1),
    }
    print(
        f"  batch import memory, {count} x {LINES}: peak {result['peak_mb']} MB, "
        f"{result['peak_beyond_file_mb']} MB beyond the file in memory (file "
        f"{result['file_mb']} MB, its base64 and bytes "
        f"{round(file_bytes / 2**20, 2)} MB; {imported} orders)",
        flush=True,
    )
    return result


def bench_import(env, user, customers, products):
    """The addon's batch import vs. Odoo's own import (base_import) of the
    same orders, as the same user, every procedure switch on; then the
    memory peak of the addon's import at IMPORT_MEMORY_SIZES orders."""
    import_checks_on(env)
    rows = order_rows(customers, products)
    addon_file = to_csv(ADDON_IMPORT_HEADER, rows)
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

    def plain(content=None):
        importer = uenv["base_import.import"].create(
            {
                "res_model": "sale.order",
                "file": content or plain_file,
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

    # Each side warmed up first on a few orders (rolled back): neither pays
    # the other's cold caches.
    warm_rows = [row for row in rows if int(row[0].split("-")[1]) < 5]
    warm_file = to_csv(ADDON_IMPORT_HEADER, warm_rows)

    def warm_addon():
        wizard = uenv["sale.order.batch.import"].create(
            {"file": base64.b64encode(warm_file), "filename": "warm.csv"}
        )
        wizard.action_import()

    warm_plain = plain_file[: plain_file.index(b"\nBENCH-00005")]
    measure(env, "warm-up", warm_addon, quiet=True)
    measure(env, "warm-up", lambda: plain(warm_plain), quiet=True)
    result = measure_sides(
        env,
        {
            "procedure": (f"batch import, {ORDERS} x {LINES}", addon),
            "plain": (f"base_import, {ORDERS} x {LINES}", plain),
        },
    )
    # Rows per second of each side, and ours over base_import's.
    for side in ("procedure", "plain"):
        seconds = result[side]["seconds"]
        result[side]["rows_per_second"] = (
            round(len(rows) / seconds) if seconds else None
        )
    result["memory"] = [
        import_memory_peak(env, user, customers, products, count)
        for count in IMPORT_MEMORY_SIZES
    ]
    if len(result["memory"]) > 1:
        first, last = result["memory"][0], result["memory"][-1]
        result["memory_growth"] = {
            "rows": round(last["rows"] / first["rows"], 1),
            "peak": round(last["peak_mb"] / first["peak_mb"], 2)
            if first["peak_mb"]
            else None,
            "peak_beyond_file": round(
                last["peak_beyond_file_mb"] / first["peak_beyond_file_mb"], 2
            )
            if first["peak_beyond_file_mb"]
            else None,
        }
        print(
            f"  memory peak x{result['memory_growth']['peak']} "
            f"(x{result['memory_growth']['peak_beyond_file']} beyond the file) "
            f"for x{result['memory_growth']['rows']} the rows",
            flush=True,
        )
    return result


# === OCA PEERS === #
# What users would otherwise install, measured in the same database: each
# group is measured when all its modules are installed (scripts/benchmark
# installs them beside the addon when they are importable).
PEER_MODULES = {
    "sale_tier_validation": ("sale_tier_validation", "base_tier_validation"),
    "sale_exception": ("sale_exception", "base_exception"),
    "rma": ("rma", "rma_sale"),
}
PEER_WHEELS = (
    "pip install --no-deps odoo-addon-sale-tier-validation "
    "odoo-addon-base-tier-validation odoo-addon-sale-exception "
    "odoo-addon-base-exception odoo-addon-rma odoo-addon-rma-sale"
)
# The rules sale_exception ships (inactive by default).
SALE_EXCEPTION_RULES = (
    "sale_exception.excep_no_zip",
    "sale_exception.excep_no_stock",
    "sale_exception.exception_partner_sale_warning",
    "sale_exception.exception_product_sale_warning",
)


def peer_status(env):
    """Peer -> None when measured, else why it is skipped (the shell script
    says which modules were not importable or failed to install)."""
    wanted = [module for modules in PEER_MODULES.values() for module in modules]
    installed = set(
        env["ir.module.module"]
        .search([("name", "in", wanted), ("state", "=", "installed")])
        .mapped("name")
    )
    missing = set(os.environ.get("OMP_BENCH_PEERS_MISSING", "").split())
    status = {}
    for peer, modules in PEER_MODULES.items():
        if set(modules) <= installed:
            status[peer] = None
        elif os.environ.get("OMP_BENCH_PEERS") == "0":
            status[peer] = "skipped: OMP_BENCH_PEERS=0"
        elif missing & set(modules):
            status[peer] = (
                f"skipped: {', '.join(sorted(missing & set(modules)))} not "
                f"importable (no OCA wheels; {PEER_WHEELS})"
            )
        elif os.environ.get("OMP_BENCH_PEERS_FAILED"):
            status[peer] = (
                "skipped: installing the OCA modules beside the addon failed "
                "(see the log above)"
            )
        else:
            status[peer] = "skipped: not installed in the benchmark's database"
    return status


@contextmanager
def rolled_back(env):
    """Set-up for a group of measurements, rolled back afterwards."""
    finish_as_committed(env.cr)
    with env.cr.savepoint(flush=False) as savepoint:
        yield
        finish_as_committed(env.cr)
        savepoint.rollback()
        forget_rolled_back(env.cr)
    env.invalidate_all()


def warm_and_measure(env, label, function, items):
    """One side, warmed up on a few items first (rolled back), then measured
    on all of them (rolled back)."""
    measure(env, "warm-up", lambda: function(items[:5]), quiet=True)
    return measure(env, label, lambda: function(items))


def peer_users(env, status):
    """A procedure manager (decides on our returns) and, with rma, an
    after-sales user of OCA rma."""
    manager = env["res.users"].create(
        {
            "name": "Bench Manager",
            "login": "bench_manager",
            "group_ids": [
                (4, env.ref("order_mgmt_procedure.group_procedure_manager").id)
            ],
        }
    )
    rma_user = env["res.users"]
    if status["rma"] is None:
        rma_user = rma_user.create(
            {
                "name": "Bench RMA User",
                "login": "bench_rma_user",
                "group_ids": [
                    (4, env.ref("rma.rma_group_user_all").id),
                    (4, env.ref("stock.group_stock_user").id),
                    (4, env.ref("sales_team.group_sale_salesman_all_leads").id),
                ],
            }
        )
    return manager, rma_user


def bench_approval_peers(env, receiver, reviewer, customers, products, status):
    """The approval before confirmation through the OCA peers, on the same
    FLOW_ORDERS orders as bench_confirm, one by one, *Review Required* off:
    sale_tier_validation with one tier definition (the receiver creates and
    requests validation, the reviewer validates and confirms), and
    sale_exception with the rules it ships active (create + confirm). The
    tier definition and the rules exist, active, only while their peer is
    measured."""
    values = order_values(customers, products, FLOW_ORDERS, LINES)
    company = env.company
    results = {}
    with rolled_back(env):
        company.order_review_required = False
        if status["sale_tier_validation"] is None:
            definition = env["tier.definition"].create(
                {
                    "name": "Bench approval",
                    "model_id": env["ir.model"]._get_id("sale.order"),
                    "review_type": "individual",
                    "reviewer_id": reviewer.id,
                }
            )

            def tier(values):
                for vals in values:
                    tier_approval(env, receiver, reviewer, vals)
                return f"{len(values)} orders"

            results["sale_tier_validation"] = warm_and_measure(
                env,
                f"tier validation: request + validate + confirm, "
                f"{FLOW_ORDERS} x {LINES}",
                tier,
                values,
            )
            definition.active = False
        if status["sale_exception"] is None:
            rules = env["exception.rule"].browse(
                [env.ref(xmlid).id for xmlid in SALE_EXCEPTION_RULES]
            )
            rules.active = True  # clears the rules' cache (and the registry's)

            def exception(values):
                for vals in values:
                    order = env(user=reviewer)["sale.order"].create(vals)
                    order.action_confirm()
                    if order.state != "sale":
                        raise RuntimeError(f"sale_exception: {order.name} stopped")
                return f"{len(values)} orders"

            results["sale_exception"] = warm_and_measure(
                env,
                f"sale_exception ({len(rules)} rules): create + confirm, "
                f"{FLOW_ORDERS} x {LINES}",
                exception,
                values,
            )
            rules.active = False
    # The rules' cache (an ormcache) was filled while they were active.
    env.registry.clear_cache()
    return results


def bench_returns(
    env, receiver, reviewer, manager, rma_user, customers, products, status
):
    """A customer return of everything a delivery brought, one order at a
    time, to a draft credit note: our return request (the receiver creates
    and submits it, a procedure manager approves, the warehouse receives the
    return transfer, which drafts the credit note) against OCA rma (from the
    delivery's return wizard with *Create RMAs*, the Refund operation: the
    RMAs confirmed and their receipt made, the warehouse receives it, the
    refund drafted). Set-up, not measured: FLOW_ORDERS orders confirmed,
    invoiced and delivered."""
    company = env.company
    results = {}
    with rolled_back(env):
        start = time.perf_counter()
        company.order_review_required = False
        company.packing_check_required = False
        # Taken by the receiver (a salesperson sees their own orders).
        orders = env["sale.order"].create(
            [
                {**vals, "user_id": receiver.id}
                for vals in order_values(customers, products, FLOW_ORDERS, LINES)
            ]
        )
        orders.action_confirm()
        pickings = orders.picking_ids
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        pickings.with_context(skip_sms=True, skip_backorder=True).button_validate()
        orders._create_invoices(grouped=True).action_post()
        items = [
            (order, order.picking_ids.filtered(lambda p: p.state == "done"))
            for order in orders
        ]
        env.flush_all()
        print(
            f"  (set up {len(orders)} delivered and invoiced orders in "
            f"{time.perf_counter() - start:.0f} s)",
            flush=True,
        )

        def receive(picking):
            picking = picking.with_user(reviewer)
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
            picking.move_ids.picked = True
            picking.with_context(skip_sms=True, skip_backorder=True).button_validate()

        def ours(items):
            company.order_review_required = True
            company.packing_check_required = True
            for order, __ in items:
                request = env(user=receiver)["order.return.request"].create(
                    {
                        "order_id": order.id,
                        "reason": "Bench return",
                        "condition_intact": True,
                        "condition_accessories": True,
                        "line_ids": [
                            (
                                0,
                                0,
                                {
                                    "product_id": line.product_id.id,
                                    "quantity": line.qty_delivered,
                                },
                            )
                            for line in order.order_line
                        ],
                    }
                )
                request.action_submit()
                request.with_user(manager).action_approve()
                receive(request.return_picking_id)
                if request.state != "done" or not request.refund_move_id:
                    raise RuntimeError(f"{request.name}: {request.state}, no refund")
            return f"{len(items)} returns"

        results["procedure"] = warm_and_measure(
            env, f"return request to credit note, {FLOW_ORDERS} x {LINES}", ours, items
        )
        if status["rma"] is None:
            operation = env.ref("rma.rma_operation_refund")

            def rma(items):
                company.order_review_required = False
                company.packing_check_required = False
                for __, delivery in items:
                    wizard = (
                        env(user=rma_user)["stock.return.picking"]
                        .with_context(
                            active_id=delivery.id, active_model="stock.picking"
                        )
                        .create(
                            {
                                "picking_id": delivery.id,
                                "create_rma": True,
                                "rma_operation_id": operation.id,
                            }
                        )
                    )
                    for line in wizard.product_return_moves:
                        line.quantity = line.move_id.quantity
                    # As the wizard's onchange of Create RMAs does.
                    wizard.product_return_moves.to_refund = False
                    receipt = env["stock.picking"].browse(
                        wizard.action_create_returns()["res_id"]
                    )
                    rmas = receipt.move_ids.rma_receiver_ids
                    receive(receipt)
                    rmas.with_user(rma_user).action_refund()
                    if set(rmas.mapped("state")) != {"refunded"} or not rmas.refund_id:
                        raise RuntimeError(f"rma: {rmas.mapped('state')}, no refund")
                return f"{len(items)} returns"

            results["peer"] = warm_and_measure(
                env, f"OCA rma to refund, {FLOW_ORDERS} x {LINES}", rma, items
            )
    return results


def vs(ours, peer, key):
    return round(ours[key] / peer[key], 2) if peer and peer.get(key) else None


def print_peers(results, status):
    """Per order (approval) and per return, ours against each peer."""
    confirm = results.get("confirm", {})
    approval = results.get("approval_peers", {})
    returns = results.get("returns", {})
    rows = [
        ("plain create + confirm", confirm.get("plain"), None, None),
        ("ours: submit + review + approve", confirm.get("procedure"), None, None),
    ]
    for peer, label in (
        ("sale_tier_validation", "tier validation, 1 tier"),
        ("sale_exception", "sale_exception, its 4 rules"),
    ):
        rows.append((label, approval.get(peer), confirm.get("procedure"), peer))
    rows.append(("ours: return request", returns.get("procedure"), None, None))
    rows.append(("OCA rma", returns.get("peer"), returns.get("procedure"), "rma"))
    print()
    print(
        f"{'per order / return':<34}{'queries':>9}{'each':>7}{'seconds':>9}"
        f"{'ms each':>9}{'ours / peer q/s':>18}"
    )
    for label, entry, ours, peer in rows:
        if peer and status[peer]:
            print(f"{label:<34}  {status[peer]}")
            continue
        if not entry:
            continue
        count = int(entry["result"].split()[0])
        line = (
            f"{label:<34}{entry['queries']:>9}{entry['queries'] / count:>7.0f}"
            f"{entry['seconds']:>9}{entry['seconds'] * 1000 / count:>9.0f}"
        )
        if ours:
            ratios = f"{vs(ours, entry, 'queries')} / {vs(ours, entry, 'seconds')}"
            line += f"{ratios:>18}"
        print(line)


def ratio(entry, key):
    plain = entry["plain"][key]
    return round(entry["procedure"][key] / plain, 2) if plain else None


def main(env):
    user = env.ref("base.user_admin")
    if not user.has_group("order_mgmt_procedure.group_order_receiver"):
        user.group_ids += env.ref("order_mgmt_procedure.group_order_receiver")
    receiver, reviewer = users(env)
    customers, products = fixtures(env)
    env.flush_all()
    selected = os.environ.get(
        "OMP_BENCH", "confirm,deliveries,import,peers,returns,crons"
    ).split(",")
    results = {}
    status = peer_status(env)
    # The peers' approval is compared with bench_confirm's procedure row.
    if "confirm" in selected or "peers" in selected:
        results["confirm"] = bench_confirm(env, receiver, reviewer, customers, products)
        results["interleaved"] = bench_confirm_interleaved(
            env, receiver, reviewer, customers, products, status
        )
    if "deliveries" in selected:
        results["deliveries"] = bench_deliveries(env, reviewer, customers, products)
    if "import" in selected:
        results["import"] = bench_import(env, user, customers, products)
    peers = {"status": status}
    if "peers" in selected or "returns" in selected:
        manager, rma_user = peer_users(env, status)
        env.flush_all()
        if "peers" in selected:
            peers["approval"] = bench_approval_peers(
                env, receiver, reviewer, customers, products, status
            )
        if "returns" in selected:
            peers["returns"] = bench_returns(
                env, receiver, reviewer, manager, rma_user, customers, products, status
            )
    vs_peer = {}
    ours = results.get("confirm", {}).get("procedure")
    for peer, entry in peers.get("approval", {}).items():
        vs_peer[f"approval vs {peer}"] = {
            "queries": vs(ours, entry, "queries"),
            "seconds": vs(ours, entry, "seconds"),
        }
    returns = peers.get("returns", {})
    if returns.get("peer"):
        vs_peer["returns vs rma"] = {
            "queries": vs(returns["procedure"], returns["peer"], "queries"),
            "seconds": vs(returns["procedure"], returns["peer"], "seconds"),
        }
    peers["vs_peer"] = vs_peer
    if "confirm" in results:
        results["confirm"]["vs_peer"] = {
            name.removeprefix("approval vs "): value
            for name, value in vs_peer.items()
            if name.startswith("approval")
        }
    crons = bench_crons(env, customers, products) if "crons" in selected else {}
    print()
    print(
        f"{'benchmark':<12}{'queries':>22}{'seconds':>22}{'ratio q/s':>16}"
        f"{'vs peer q/s':>26}"
    )
    for name, entry in results.items():
        entry["ratio_queries"] = ratio(entry, "queries")
        entry["ratio_seconds"] = ratio(entry, "seconds")
        queries = f"{entry['procedure']['queries']} / {entry['plain']['queries']}"
        seconds = f"{entry['procedure']['seconds']} / {entry['plain']['seconds']}"
        ratios = f"{entry['ratio_queries']} / {entry['ratio_seconds']}"
        tier = entry.get("vs_peer", {}).get("sale_tier_validation")
        peer = f"{tier['queries']} / {tier['seconds']} (tier)" if tier else ""
        print(f"{name:<12}{queries:>22}{seconds:>22}{ratios:>16}{peer:>26}")
        if "cpu_seconds" in entry["procedure"]:
            entry["ratio_cpu_seconds"] = ratio(entry, "cpu_seconds")
            cpu = (
                f"{entry['procedure']['cpu_seconds']} / {entry['plain']['cpu_seconds']}"
            )
            print(f"{'  its CPU':<12}{'':>22}{cpu:>22}{entry['ratio_cpu_seconds']:>16}")
    if returns:
        procedure = returns["procedure"]
        rma = returns.get("peer")
        queries = f"{procedure['queries']} / {rma['queries'] if rma else '-'}"
        seconds = f"{procedure['seconds']} / {rma['seconds'] if rma else '-'}"
        against = vs_peer.get("returns vs rma")
        peer = f"{against['queries']} / {against['seconds']} (rma)" if against else ""
        print(f"{'returns':<12}{queries:>22}{seconds:>22}{'':>16}{peer:>26}")
        print("  (returns: ours / OCA rma; no plain Odoo row)")
    if "peers" in selected or "returns" in selected:
        print_peers(
            {
                **results,
                "approval_peers": peers.get("approval", {}),
                "returns": returns,
            },
            status,
        )
    growth = cron_growth(crons)
    if crons:
        print()
        print(
            f"{'scheduled action':<28}{'queries':>10}{'a batch':>10}"
            f"{'batches':>9}{'runs':>6}{'seconds':>10}"
        )
        for name, entry in crons.items():
            print(
                f"{name:<28}{entry['queries']:>10}{entry['queries_per_batch']:>10}"
                f"{entry['batches']:>9}{entry['runs']:>6}{entry['seconds']:>10}"
            )
        print()
        print(f"{'growth':<34}{'records':>9}{'seconds':>9}{'q a batch':>11}")
        for name, entry in growth.items():
            print(
                f"{name:<34}{entry['records']:>9}{entry['seconds']:>9}"
                f"{entry['queries_per_batch']:>11}"
            )
    with open(OUTPUT, "w", encoding="utf-8") as output:
        json.dump(
            {
                "import_orders": ORDERS,
                "lines": LINES,
                "flow_orders": FLOW_ORDERS,
                "results": results,
                "peers": peers,
                "scheduled_actions": crons,
                "scheduled_actions_growth": growth,
            },
            output,
            indent=2,
        )
    print(f"\nWritten to {OUTPUT}")
    env.cr.rollback()


main(env)  # noqa: F821 (given by odoo shell)
