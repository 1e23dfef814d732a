#!/usr/bin/env python3
"""Races between users of a real multi-process Odoo server.

Odoo's test suite shares one cursor between all the requests of a test, so
two users acting at the same moment never meet there. This script starts
``odoo server --workers=2`` on a copy of the test database, has the demo users
race over XML-RPC (threads released together by a barrier, each with its own
connection) and counts what every race left behind: one import, one delivery,
one credit note, one completion, one return transfer, the loser told why in a
refusal, never a server error. Then a short load: orders taken, reviewed and
approved by several users at once.

    concurrency_test.py ODOO_CONF DATABASE [--workers 2] [--orders 50] [--logfile PATH]

DATABASE is changed (users, customers, orders): give it a copy. Standard
library only. Exits 0 when every scenario passed, 1 when one failed, 2 when
the server could not be started or used.
"""

import argparse
import base64
import csv
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections import Counter
from dataclasses import dataclass, field

ADDON = "order_mgmt_procedure"
READY_TIMEOUT = 120
CALL_TIMEOUT = 180
# /xmlrpc/2 sends Odoo's refusals (UserError and its subclasses, AccessDenied,
# AccessError) with these codes and the bare message; anything else arrives
# as code 1 with the server's traceback.
REFUSAL_CODES = (2, 3, 4)
REFUSAL_CLASSES = re.compile(
    r"^odoo\.exceptions\.(UserError|AccessError|ValidationError|RedirectWarning)\b"
)
# Odoo's retry on serialization failures and lock errors, logged at INFO by
# odoo.service.model: how often the database made a transaction start over.
RETRY_LINE = re.compile(r"tries left, try again|maximum number of tries reached")
# What odoo.sql_db logs as an error before such a retry.
RETRIED_QUERY = re.compile(
    r"could not serialize access|deadlock detected|could not obtain lock"
)
LOG_HEADER = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)


class SetupError(Exception):
    """A step before the race went wrong: the scenario cannot be judged."""


# === THE SERVER === #


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``odoo server`` with workers, in a process group of its own so that
    its workers go with it."""

    def __init__(self, conf, db, workers, logfile):
        self.conf, self.db, self.workers, self.logfile = conf, db, workers, logfile
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        command = [
            sys.executable,
            "-m",
            "odoo",
            "server",
            "-c",
            self.conf,
            "-d",
            self.db,
            f"--db-filter=^{re.escape(self.db)}$",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            f"--http-port={self.port}",
            # The websocket process of a multi-process server: not on 8072,
            # where another Odoo may run.
            f"--gevent-port={free_port()}",
            "--http-interface=127.0.0.1",
            "--log-level=warn",
            "--log-handler=odoo.service.model:INFO",
            # Every XML-RPC call logs a deprecation notice: not worth reading.
            "--log-handler=odoo.addons.rpc.controllers.xmlrpc:ERROR",
            f"--logfile={self.logfile}",
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(
                    f"the server exited with {self.process.returncode} before "
                    f"answering; its log: {self.logfile}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/web/login", timeout=10) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        raise SetupError(
            f"/web/login did not answer within {READY_TIMEOUT} s; log: {self.logfile}"
        )

    def stop(self):
        if not self.process:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.process.wait(timeout=10)
        # Workers left behind by a master that died.
        self._kill_group()

    def _kill_group(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# === XML-RPC === #


class Transport(xmlrpc.client.Transport):
    """A transport whose calls give up after CALL_TIMEOUT seconds."""

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = CALL_TIMEOUT
        return connection


class Client:
    """One user on one connection. A ServerProxy is not thread-safe: each
    thread works on a ``fork()`` of its own."""

    def __init__(self, url, db, login, password=None, uid=None):
        self.url, self.db, self.login = url, db, login
        self.password = password or login
        if uid is None:
            common = xmlrpc.client.ServerProxy(
                f"{url}/xmlrpc/2/common", transport=Transport()
            )
            uid = common.authenticate(db, login, self.password, {})
            if not uid:
                raise SetupError(f"cannot log in as {login}")
        self.uid = uid
        self.proxy = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/object", transport=Transport()
        )

    def fork(self):
        return Client(self.url, self.db, self.login, self.password, self.uid)

    def credentials(self):
        return self.db, self.uid, self.password

    def call(self, model, method, *args, **kwargs):
        return self.proxy.execute_kw(
            *self.credentials(), model, method, list(args), kwargs
        )

    def call_returning_nothing(self, model, method, *args, **kwargs):
        """A method of Odoo's that returns None, which XML-RPC cannot send:
        over JSON-RPC."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [*self.credentials(), model, method, list(args), kwargs],
            },
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
            answer = json.load(response)
        if "error" in answer:
            raise SetupError(f"{model}.{method}: {short(answer['error'])}")
        return answer.get("result")


def exception_line(traceback_text):
    """The exception that ended a traceback (after its last frame)."""
    lines = traceback_text.strip().splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    if not frames:
        return lines[0] if lines else ""
    index = frames[-1] + 1
    while index < len(lines) and lines[index].startswith("    "):
        index += 1
    return lines[index] if index < len(lines) else lines[-1]


def addon_frame(traceback_text):
    """The addon's innermost frame of a traceback, as file:line in function."""
    matches = re.findall(
        rf'File ".*?/({ADDON}/[^"]+)", line (\d+), in (\S+)', traceback_text
    )
    if not matches:
        return ""
    path, line, function = matches[-1]
    return f"{path}:{line} in {function}"


@dataclass
class Outcome:
    """What one call got: ``ok`` (its value), ``refused`` (a refusal's
    message) or ``error`` (a server error's exception line)."""

    who: str
    kind: str
    text: str = ""
    where: str = ""
    value: object = None
    seconds: float = 0.0

    def describe(self):
        if self.kind == "ok":
            value = self.value
            if isinstance(value, dict) and "type" in value:
                value = " ".join(
                    str(value[key])
                    for key in ("type", "res_model", "name")
                    if value.get(key)
                )
            return f"{self.who}: ok in {self.seconds:.1f} s ({short(value)})"
        where = f" [{self.where}]" if self.where else ""
        return (
            f"{self.who}: {self.kind} in {self.seconds:.1f} s: "
            f"{short(self.text)}{where}"
        )


def short(value, limit=150):
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def outcome_of_exception(who, exc):
    if isinstance(exc, xmlrpc.client.Fault):
        text = str(exc.faultString or exc.faultCode)
        last = exception_line(text)
        if exc.faultCode in REFUSAL_CODES or REFUSAL_CLASSES.match(last):
            return Outcome(who, "refused", text.strip())
        return Outcome(who, "error", last, addon_frame(text))
    # The connection broke, timed out, or the worker was killed.
    return Outcome(who, "error", f"{type(exc).__name__}: {exc}")


def attempt(who, function, *args, **kwargs):
    start = time.monotonic()
    try:
        outcome = Outcome(who, "ok", value=function(*args, **kwargs))
    except Exception as exc:  # every failure of a call is an outcome to count
        outcome = outcome_of_exception(who, exc)
    outcome.seconds = time.monotonic() - start
    return outcome


@dataclass
class Call:
    client: Client
    model: str
    method: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def race(*calls):
    """Run the calls in threads of their own, released together."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        client = call.client.fork()
        barrier.wait(timeout=60)
        outcomes[index] = attempt(
            call.client.login,
            client.call,
            call.model,
            call.method,
            *call.args,
            **call.kwargs,
        )

    threads = [
        threading.Thread(target=run, args=(index, call), daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CALL_TIMEOUT + 60)
    return [
        outcome or Outcome(call.client.login, "error", "the call never returned")
        for outcome, call in zip(outcomes, calls, strict=True)
    ]


# === THE SERVER'S LOG === #


class ServerLog:
    """What the server logged between two marks: its errors and how often
    Odoo retried a transaction (the failed query of a retry is no error)."""

    def __init__(self, path):
        self.path = path

    def mark(self):
        try:
            return os.path.getsize(self.path)
        except OSError:
            return 0

    def since(self, offset):
        try:
            with open(self.path, encoding="utf-8", errors="replace") as log:
                log.seek(offset)
                text = log.read()
        except OSError:
            return 0, []
        retries = len(RETRY_LINE.findall(text))
        errors, current = [], None
        for line in text.splitlines():
            header = LOG_HEADER.match(line)
            if header:
                current = None
                if header.group(1) in ("ERROR", "CRITICAL"):
                    current = [line]
                    errors.append(current)
            elif current is not None:
                current.append(line)
        entries = ["\n".join(entry) for entry in errors]
        return retries, [
            entry
            for entry in entries
            if not ("odoo.sql_db: bad query" in entry and RETRIED_QUERY.search(entry))
        ]


def summarize_log_error(entry):
    first = entry.splitlines()[0]
    message = first.split(": ", 1)[-1]
    if "Traceback" not in entry:
        return short(message, 200)
    where = addon_frame(entry)
    return short(f"{message} -> {exception_line(entry)}", 200) + (
        f" [{where}]" if where else ""
    )


# === THE WORLD THE RACES RUN IN === #


class World:
    """The users (demo users and the ones made here), a customer with a
    complete address, a product with stock."""

    DEMO_LOGINS = ("receiver", "reviewer", "procmanager", "warehouse", "accountant")
    EXTRA_USERS = {
        "receiver2": "group_order_receiver",
        "receiver3": "group_order_receiver",
        "reviewer2": "group_order_reviewer",
    }

    def __init__(self, url, db, workers):
        self.url, self.db, self.workers = url, db, workers
        self.tag = time.strftime("%H%M%S")
        self.admin = Client(url, db, "admin")
        self.users = {"admin": self.admin}

    def xmlid(self, module, name):
        found = self.admin.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        if not found:
            raise SetupError(f"{module}.{name} does not exist")
        return found[0]["res_id"]

    def setup(self):
        employee = self.xmlid("base", "group_user")
        for login, group in self.EXTRA_USERS.items():
            if not self.admin.call("res.users", "search", [("login", "=", login)]):
                self.admin.call(
                    "res.users",
                    "create",
                    {
                        "name": f"{login} (concurrency test)",
                        "login": login,
                        "password": login,
                        "email": f"{login}@example.com",
                        "group_ids": [(6, 0, [employee, self.xmlid(ADDON, group)])],
                    },
                )
        logins = (*self.DEMO_LOGINS, *self.EXTRA_USERS)
        uids = {
            user["login"]: user["id"]
            for user in self.admin.call(
                "res.users",
                "search_read",
                [("login", "in", logins)],
                fields=["login"],
            )
        }
        missing = set(logins) - set(uids)
        if missing:
            raise SetupError(f"no user {', '.join(sorted(missing))}: no demo data?")
        for login in logins:
            self.users[login] = Client(self.url, self.db, login, uid=uids[login])
        terms = self.xmlid("account", "account_payment_term_30days")
        self.customer_ref = f"CONC-{self.tag}"
        self.customer = self.admin.call(
            "res.partner",
            "create",
            {
                "name": f"Suzhou Concurrency Trading {self.tag}",
                "ref": self.customer_ref,
                "is_company": True,
                "street": "88 Xinghu Street",
                "city": "Suzhou",
                "zip": "215123",
                "country_id": self.xmlid("base", "cn"),
                "phone": "+86 512 6288 0000",
                "email": "buyer@concurrency.example.com",
                "property_payment_term_id": terms,
            },
        )
        self.product_code = f"CONC-{self.tag}"
        self.product = self.make_product(self.product_code, "Concurrency chair")
        # The load's receivers sell different products, as real orders mostly
        # do: orders of one product all wait on its stock row, a contention
        # of Odoo's reservation that is no part of what is measured here.
        self.load_products = [self.product] + [
            self.make_product(f"{self.product_code}-{n}", f"Concurrency desk {n}")
            for n in (2, 3)
        ]

    def make_product(self, code, name):
        """A storable product with 100,000 in stock."""
        product = self.admin.call(
            "product.product",
            "create",
            {
                "name": f"{name} {self.tag}",
                "default_code": code,
                "type": "consu",
                "is_storable": True,
                "list_price": 100.0,
                "invoice_policy": "order",
                "taxes_id": [(6, 0, [])],
            },
        )
        warehouse = self.admin.call(
            "stock.warehouse", "search_read", [], fields=["lot_stock_id"], limit=1
        )[0]
        inventory = {"inventory_mode": True}
        quant = self.admin.call(
            "stock.quant",
            "create",
            {
                "product_id": product,
                "location_id": warehouse["lot_stock_id"][0],
                "inventory_quantity": 100000,
            },
            context=inventory,
        )
        self.admin.call_returning_nothing(
            "stock.quant", "action_apply_inventory", [quant], context=inventory
        )
        return product

    def warm_up(self):
        """Each worker checks a user's password once (600,000 rounds of
        PBKDF2, about a second) and remembers it: here, with as many calls at
        once as there are workers so that each takes one, rather than in the
        middle of a race where it would hold one side back."""
        for login, client in self.users.items():
            if login == "admin":
                continue
            call = Call(
                client, "res.users", "search_count", ([("id", "=", client.uid)],)
            )
            for outcome in race(*[call] * self.workers):
                if outcome.kind != "ok":
                    raise SetupError(f"cannot work as {outcome.describe()}")

    # Steps of the procedure, each as the role that takes it.

    def create_order(self, client, product=None, **values):
        return client.call(
            "sale.order",
            "create",
            {
                "partner_id": self.customer,
                "order_line": [
                    (
                        0,
                        0,
                        {"product_id": product or self.product, "product_uom_qty": 2},
                    )
                ],
                **values,
            },
        )

    @staticmethod
    def tick_manual_items(reviewer, order):
        lines = reviewer.call(
            "sale.order.review.line",
            "search",
            [("order_id", "=", order), ("check_type", "=", "manual")],
        )
        if lines:
            reviewer.call("sale.order.review.line", "action_mark_pass", lines)

    def order_in_review(self, **values):
        receiver = self.users["receiver"]
        order = self.create_order(receiver, **values)
        receiver.call("sale.order", "action_submit_review", [order])
        self.tick_manual_items(self.users["reviewer"], order)
        return order

    def approved_order(self, **values):
        order = self.order_in_review(**values)
        self.users["reviewer"].call("sale.order", "action_review_approve", [order])
        return order

    def deliveries(self, order, open_only=False):
        domain = [("sale_id", "=", order), ("picking_type_code", "=", "outgoing")]
        if open_only:
            domain.append(("state", "not in", ["done", "cancel"]))
        return self.admin.call("stock.picking", "search", domain)

    def ship(self, order):
        warehouse = self.users["warehouse"]
        pickings = self.deliveries(order, open_only=True)
        if not pickings:
            raise SetupError(f"order {order} has no delivery to ship")
        warehouse.call("stock.picking", "action_mark_packed", pickings)
        moves = warehouse.call(
            "stock.move",
            "search_read",
            [("picking_id", "in", pickings)],
            fields=["product_uom_qty"],
        )
        for move in moves:
            warehouse.call(
                "stock.move",
                "write",
                [move["id"]],
                {"quantity": move["product_uom_qty"], "picked": True},
            )
        result = warehouse.call(
            "stock.picking", "button_validate", pickings, context={"skip_sms": True}
        )
        if result is not True:
            raise SetupError(f"validating the delivery opened {short(result)}")
        return pickings

    def invoice(self, order):
        context = {"active_model": "sale.order", "active_ids": [order]}
        wizard = self.admin.call(
            "sale.advance.payment.inv",
            "create",
            {"advance_payment_method": "delivered"},
            context=context,
        )
        self.admin.call(
            "sale.advance.payment.inv", "create_invoices", [wizard], context=context
        )
        invoices = self.read(order, "invoice_ids")
        if not invoices:
            raise SetupError(f"order {order} got no invoice")
        self.admin.call("account.move", "action_post", invoices)
        return invoices

    def read(self, order, fname, model="sale.order"):
        return self.admin.call(model, "read", [order], [fname])[0][fname]

    def count(self, model, domain):
        return self.admin.call(model, "search_count", domain)

    def tracked_changes(self, order, fname):
        return self.count(
            "mail.tracking.value",
            [
                ("field_id.model", "=", "sale.order"),
                ("field_id.name", "=", fname),
                ("mail_message_id.model", "=", "sale.order"),
                ("mail_message_id.res_id", "=", order),
            ],
        )


# === SCENARIOS === #


@dataclass
class Result:
    name: str
    effects: list = field(default_factory=list)  # (label, counted, expected)
    outcomes: list = field(default_factory=list)
    seconds: float = 0.0
    retries: int = 0
    log_errors: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def count(self, kind):
        return sum(1 for outcome in self.outcomes if outcome.kind == kind)

    @property
    def passed(self):
        return not self.problems

    def judge(self, loser_told=True, refusal_says=None):
        """Every effect once; no server error; the losers refused (with
        ``refusal_says`` in the message) unless a silent no-op is their
        documented answer (``loser_told`` False)."""
        for label, counted, expected in self.effects:
            if counted != expected:
                self.problems.append(f"{label}: {counted}, expected {expected}")
        if self.count("error"):
            self.problems.append(f"{self.count('error')} server error(s)")
        if loser_told and self.outcomes and self.count("ok") > 1:
            self.problems.append(
                f"{self.count('ok')} calls succeeded: the loser was not told"
            )
        if refusal_says:
            unclear = [
                o
                for o in self.outcomes
                if o.kind == "refused" and not re.search(refusal_says, o.text)
            ]
            if unclear:
                self.problems.append(
                    f"{len(unclear)} refusal(s) not matching /{refusal_says}/"
                )


def scenario_import(world):
    """(a) The same distributor file imported by two receivers at once."""
    result = Result("a. same file imported twice at once")
    refs = [f"CONC-{world.tag}-{n}" for n in range(1, 6)]
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(["External Order Reference", "Customer", "Product", "Quantity"])
    for ref in refs:
        writer.writerow([ref, world.customer_ref, world.product_code, 1])
    content = base64.b64encode(stream.getvalue().encode()).decode()
    calls = []
    for login in ("receiver", "receiver2"):
        receiver = world.users[login]
        wizard = receiver.call(
            "sale.order.batch.import",
            "create",
            {"file": content, "filename": f"orders-{login}.csv"},
        )
        calls.append(
            Call(receiver, "sale.order.batch.import", "action_import", ([wizard],))
        )
    result.outcomes = race(*calls)
    orders = world.count(
        "sale.order", [("client_order_ref", "in", refs), ("state", "!=", "cancel")]
    )
    result.effects.append(("orders for the 5 references", orders, 5))
    names = {}
    for sale in world.admin.call(
        "sale.order",
        "search_read",
        [("client_order_ref", "in", refs), ("state", "!=", "cancel")],
        fields=["name", "client_order_ref"],
    ):
        names.setdefault(sale["client_order_ref"], []).append(sale["name"])
    twice = [
        f"{ref}: {', '.join(found)}" for ref, found in names.items() if len(found) > 1
    ]
    if twice:
        result.notes.append(f"imported more than once: {'; '.join(twice)}")
    result.judge(refusal_says=r"already (exist|used)")
    return result


def scenario_approve(world):
    """(b) Two reviewers approve the same order at once."""
    result = Result("b. two reviewers approve at once")
    order = world.order_in_review()
    result.outcomes = race(
        Call(
            world.users["reviewer"], "sale.order", "action_review_approve", ([order],)
        ),
        Call(
            world.users["reviewer2"], "sale.order", "action_review_approve", ([order],)
        ),
    )
    result.effects += [
        ("deliveries", len(world.deliveries(order)), 1),
        (
            "confirmations (tracked state changes)",
            world.tracked_changes(order, "state"),
            1,
        ),
    ]
    result.notes.append(f"order state: {world.read(order, 'state')}")
    result.judge()
    return result


def scenario_cancel(world):
    """(c) A shipped, invoiced order cancelled twice at once by a procedure
    manager (two wizards: two tabs, or a double click)."""
    result = Result("c. two cancellations at once")
    order = world.approved_order()
    deliveries = world.ship(order)
    world.invoice(order)
    manager = world.users["procmanager"]
    wizards = [
        manager.call(
            "order.cancel.wizard",
            "create",
            {"order_id": order, "reason": "Customer cancelled (concurrency test)"},
        )
        for __ in range(2)
    ]
    result.outcomes = race(
        *(
            Call(manager, "order.cancel.wizard", "action_confirm_cancel", ([w],))
            for w in wizards
        )
    )
    refunds = world.count(
        "account.move",
        [("procedure_refund_order_id", "=", order), ("move_type", "=", "out_refund")],
    )
    returns = world.count(
        "stock.picking",
        [("return_id", "in", deliveries), ("picking_type_code", "=", "incoming")],
    )
    result.effects += [
        ("procedure credit notes", refunds, 1),
        ("return transfers", returns, 1),
    ]
    result.notes.append(f"order state: {world.read(order, 'state')}")
    # "A second call never creates a second refund": the second confirmation
    # may close the wizard silently.
    result.judge(loser_told=False)
    return result


def scenario_sign_off(world):
    """(d) Two receivers sign off the same shipped order at once. The order
    has no salesperson, so that both receivers see it."""
    result = Result("d. two sign-offs at once")
    order = world.approved_order(user_id=False)
    world.ship(order)
    result.outcomes = race(
        Call(world.users["receiver"], "sale.order", "action_sign_off", ([order],)),
        Call(world.users["receiver2"], "sale.order", "action_sign_off", ([order],)),
    )
    notes = world.count(
        "mail.message",
        [
            ("model", "=", "sale.order"),
            ("res_id", "=", order),
            ("body", "ilike", "Signed off"),
        ],
    )
    result.effects += [
        ('"Signed off by" notes', notes, 1),
        (
            "completed_date set (tracked)",
            world.tracked_changes(order, "completed_date"),
            1,
        ),
    ]
    result.notes.append(f"stage: {world.read(order, 'procedure_stage')}")
    result.judge()
    return result


def scenario_return(world):
    """(e) A procedure manager approves the same return request twice at
    once."""
    result = Result("e. two return approvals at once")
    receiver = world.users["receiver"]
    order = world.approved_order()
    deliveries = world.ship(order)
    receiver.call("sale.order", "action_sign_off", [order])
    request = receiver.call(
        "order.return.request",
        "create",
        {
            "order_id": order,
            "request_type": "return",
            "reason": "Wrong colour (concurrency test)",
            "condition_intact": True,
            "condition_accessories": True,
            "line_ids": [(0, 0, {"product_id": world.product, "quantity": 1})],
        },
    )
    receiver.call("order.return.request", "action_submit", [request])
    manager = world.users["procmanager"]
    result.outcomes = race(
        Call(manager, "order.return.request", "action_approve", ([request],)),
        Call(manager, "order.return.request", "action_approve", ([request],)),
    )
    returns = world.count(
        "stock.picking",
        [("return_id", "in", deliveries), ("picking_type_code", "=", "incoming")],
    )
    state = world.read(request, "state", "order.return.request")
    result.effects += [
        ("return transfers", returns, 1),
        ("request approved", int(state == "approved"), 1),
    ]
    result.judge()
    return result


def scenario_load(world, order_count):
    """3 receivers take and submit orders while 2 reviewers tick their
    checklists and approve them, all at once."""
    result = Result(f"load: {order_count} orders, 3 receivers + 2 reviewers")
    receivers = [world.users[f"receiver{n}"] for n in ("", "2", "3")]
    reviewers = [world.users["reviewer"], world.users["reviewer2"]]
    submitted, created = queue.Queue(), []
    barrier = threading.Barrier(len(receivers) + len(reviewers))
    outcomes = []

    def record(outcome):
        outcomes.append(outcome)
        return outcome.kind == "ok"

    def take(client, count, product):
        own = client.fork()
        barrier.wait(timeout=60)
        for __ in range(count):
            outcome = attempt(own.login, world.create_order, own, product)
            if not record(outcome):
                continue
            created.append(outcome.value)
            order = outcome.value
            if record(
                attempt(
                    own.login, own.call, "sale.order", "action_submit_review", [order]
                )
            ):
                submitted.put(order)

    def review(client):
        own = client.fork()
        barrier.wait(timeout=60)
        while (order := submitted.get()) is not None:
            if record(attempt(own.login, world.tick_manual_items, own, order)):
                record(
                    attempt(
                        own.login,
                        own.call,
                        "sale.order",
                        "action_review_approve",
                        [order],
                    )
                )

    shares = [order_count // len(receivers)] * len(receivers)
    for index in range(order_count % len(receivers)):
        shares[index] += 1
    takers = [
        threading.Thread(target=take, args=(client, share, product), daemon=True)
        for client, share, product in zip(
            receivers, shares, world.load_products, strict=True
        )
    ]
    checkers = [
        threading.Thread(target=review, args=(client,), daemon=True)
        for client in reviewers
    ]
    start = time.monotonic()
    for thread in takers + checkers:
        thread.start()
    for thread in takers:
        thread.join()
    for __ in checkers:
        submitted.put(None)
    for thread in checkers:
        thread.join()
    result.seconds = time.monotonic() - start
    result.outcomes = outcomes

    states = Counter(
        row["state"]
        for row in world.admin.call("sale.order", "read", created, ["state"])
    )
    per_order = Counter(
        row["sale_id"][0]
        for row in world.admin.call(
            "stock.picking",
            "search_read",
            [("sale_id", "in", created), ("picking_type_code", "=", "outgoing")],
            fields=["sale_id"],
        )
    )
    one_delivery = sum(1 for order in created if per_order[order] == 1)
    result.effects += [
        ("orders created", len(created), order_count),
        ("confirmed", states["sale"], order_count),
        ("with exactly one delivery", one_delivery, order_count),
    ]
    rate = states["sale"] / result.seconds * 60 if result.seconds else 0
    result.notes.append(
        f"{rate:.1f} orders/min; {len(outcomes)} calls, "
        f"{result.count('refused')} refused, {result.count('error')} server errors"
    )
    result.judge(loser_told=False)
    return result


SCENARIOS = (
    scenario_import,
    scenario_approve,
    scenario_cancel,
    scenario_sign_off,
    scenario_return,
)


def run_scenario(function, log, *args):
    mark = log.mark()
    start = time.monotonic()
    try:
        result = function(*args)
    except Exception as exc:  # a step before the race failed: report it
        name = (function.__doc__ or function.__name__).strip().splitlines()[0]
        result = Result(name)
        if isinstance(exc, xmlrpc.client.Fault):
            outcome = outcome_of_exception("setup", exc)
            exc = f"{outcome.kind}: {short(outcome.text)} {outcome.where}"
        result.problems.append(f"could not set up the race: {exc}")
    if not result.seconds:
        result.seconds = time.monotonic() - start
    time.sleep(0.5)  # let the workers finish writing their log lines
    result.retries, result.log_errors = log.since(mark)
    return result


def report(result):
    effects = ", ".join(
        f"{label} {counted}"
        + ("" if counted == expected else f" (expected {expected})")
        for label, counted, expected in result.effects
    )
    race_time = ""
    if 0 < len(result.outcomes) <= 4:
        race_time = f" (race {max(o.seconds for o in result.outcomes):.1f} s)"
    print(
        f"{'PASS' if result.passed else 'FAIL'}  {result.name}: {effects or '-'}; "
        f"refusals {result.count('refused')}, server errors {result.count('error')}, "
        f"retries {result.retries}, {result.seconds:.1f} s{race_time}"
    )
    for problem in result.problems:
        print(f"      problem: {problem}")
    for note in result.notes:
        print(f"      {note}")
    shown = [o for o in result.outcomes if o.kind != "ok"][:6]
    if len(result.outcomes) <= 4:
        shown = result.outcomes
    for outcome in shown:
        print(f"      {outcome.describe()}")
    for entry in result.log_errors[:4]:
        print(f"      server log: {summarize_log_error(entry)}")
    if len(result.log_errors) > 4:
        print(f"      server log: ... and {len(result.log_errors) - 4} more errors")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="the Odoo configuration file")
    parser.add_argument("database", help="a copy of the test database")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--orders", type=int, default=50, help="orders of the load")
    parser.add_argument("--logfile", help="the server's log (default: a temp file)")
    args = parser.parse_args()
    logfile = (
        args.logfile or tempfile.mkstemp(prefix="omp-concurrency-", suffix=".log")[1]
    )
    server = Server(args.config, args.database, args.workers, logfile)
    results = []
    try:
        start = time.monotonic()
        server.start()
        server.wait_ready()
        print(
            f"Odoo with {args.workers} workers on {server.url} (database "
            f"{args.database}) ready in {time.monotonic() - start:.0f} s; "
            f"log: {logfile}"
        )
        start = time.monotonic()
        world = World(server.url, args.database, args.workers)
        world.setup()
        world.warm_up()
        print(
            f"Users, a customer and a product with stock made, passwords "
            f"checked by each worker, in {time.monotonic() - start:.0f} s"
        )
        log = ServerLog(logfile)
        for function in SCENARIOS:
            results.append(run_scenario(function, log, world))
            report(results[-1])
        results.append(run_scenario(scenario_load, log, world, args.orders))
        report(results[-1])
    except (SetupError, OSError, xmlrpc.client.Error) as exc:
        if isinstance(exc, xmlrpc.client.Fault):
            exc = outcome_of_exception("admin", exc).describe()
        print(f"The concurrency test could not run: {short(exc, 500)}")
        return 2
    finally:
        start = time.monotonic()
        server.stop()
        print(f"Server stopped in {time.monotonic() - start:.0f} s")
    failed = sum(1 for result in results if not result.passed)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
