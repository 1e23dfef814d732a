from odoo import api, fields, models
from odoo.exceptions import MissingError, UserError, ValidationError
from odoo.tools import formatLang
from odoo.tools.mail import single_email_re

from odoo.addons.phone_validation.tools import phone_validation

from ..tools.text import join_items

# The context key of the free quantities read for a call (_with_stock_of).
FREE_QUANTITIES_KEY = "order_review_free_quantities"
AUTOMATIC_CHECK_TYPES = (
    "completeness",
    "contact_format",
    "stock",
    "payment_terms",
    "credit",
    "discount",
    "pricelist_price",
)

CHECK_TYPES = [
    ("completeness", "Order Completeness"),
    ("contact_format", "Phone and E-mail Format"),
    ("stock", "Stock Availability"),
    ("payment_terms", "Payment Terms or Method"),
    ("credit", "Credit Limit"),
    ("discount", "Discount Limit"),
    ("pricelist_price", "Price Matches Pricelist"),
    ("manual", "Manual Check"),
]


class OrderReviewRule(models.Model):
    _name = "order.review.rule"
    _inherit = ["order.procedure.rule.mixin"]
    _description = "Order Review Rule"
    _order = "phase, sequence, id"

    # === FIELDS === #

    phase = fields.Selection(
        [("intake", "Intake (on submission)"), ("review", "Review")],
        required=True,
        default="review",
        help="Intake rules are checked when the receiver submits the order; "
        "review rules make the reviewer's checklist.",
    )
    check_type = fields.Selection(CHECK_TYPES, required=True, default="manual")
    blocking = fields.Boolean(
        default=True,
        help="A failing blocking rule stops the order; a failing non-blocking "
        "rule is shown as a warning.",
    )
    max_discount = fields.Float(
        string="Maximum Discount (%)",
        help="Highest discount allowed on a line, for discount rules.",
    )
    description = fields.Text(
        translate=True, help="What the reviewer should check, for manual rules."
    )

    # === CONSTRAINT METHODS === #

    @api.constrains("max_discount")
    def _check_max_discount(self):
        for rule in self:
            if not 0 <= rule.max_discount <= 100:
                raise ValidationError(
                    self.env._(
                        "The maximum discount of rule %(rule)s must be between 0 "
                        "and 100%%.",
                        rule=rule.name,
                    )
                )

    # === BUSINESS METHODS === #

    def _applies_to(self, order):
        self.ensure_one()
        return bool(self._filter_company(order.company_id))

    def _evaluate(self, order):
        """Problems the rule finds on ``order``, in plain words of the
        current language; empty when it passes. Manual rules find nothing:
        the reviewer ticks them."""
        self.ensure_one()
        return self._render_findings([self._find_problems(order)])[0]

    def _find_problems(self, order):
        """What the rule finds wrong on ``order``, as findings: ``{"code":
        ..., "params": {...}}`` dicts that _render_findings words in the
        reader's language. Empty when it passes."""
        self.ensure_one()
        evaluator = getattr(self, f"_evaluate_{self.check_type}", None)
        return evaluator(order) if evaluator else []

    def _pass_finding(self, order):
        """What a passing automatic check found, as a finding; None for
        manual rules."""
        self.ensure_one()
        if self.check_type == "stock":
            return _finding("stock_ok", warehouse=_ref(order.warehouse_id))
        if self.check_type == "payment_terms":
            return _finding(
                "payment_ok",
                terms=_ref(
                    order.payment_term_id or order.preferred_payment_method_line_id
                ),
            )
        if self.check_type == "credit":
            return _finding(
                "credit_ok"
                if order.company_id.account_use_credit_limit
                else "credit_not_used"
            )
        if self.check_type == "discount":
            return _finding("discount_ok", max=_format_number(self.max_discount))
        if self.check_type in AUTOMATIC_CHECK_TYPES:
            return _finding(f"{self.check_type}_ok")
        return None

    # === BUSINESS METHODS: wording of the findings === #

    @api.model
    def _render_findings(self, findings_lists):
        """The texts of ``findings_lists`` (lists of findings, one list by
        checklist item), in the language of the environment. The records the
        findings name are read once for the whole batch: no query by item."""
        names = self._read_finding_records(findings_lists)
        return [
            [self._render_finding(finding, names) for finding in findings or []]
            for findings in findings_lists
        ]

    @api.model
    def _read_finding_records(self, findings_lists):
        """``{(model, id): record}`` of every record the findings name, each
        model browsed once so that its names are read in one batch."""
        ids = {}
        for findings in findings_lists:
            for finding in findings or []:
                for value in finding.get("params", {}).values():
                    if not isinstance(value, dict):
                        continue
                    if value.get("model"):
                        ids.setdefault(value["model"], set()).add(value["id"])
                    elif value.get("currency"):
                        ids.setdefault("res.currency", set()).add(value["currency"])
        # sudo: the checklist names what the checks looked at (a delivery
        # contact, a payment term); whoever may read the item reads its text,
        # as when the text was stored.
        return {
            (model, record.id): record
            for model, model_ids in ids.items()
            if model in self.env
            for record in self.env[model].sudo().browse(sorted(model_ids))
        }

    def _render_param(self, value, names):
        """A parameter of a finding as text: a record by its current name
        (its name when checked if it was deleted since), an amount in its
        currency, labels, or the value itself."""
        if not isinstance(value, dict):
            return value
        if value.get("model"):
            record = names.get((value["model"], value["id"]))
            try:
                return record.display_name if record else value.get("name", "")
            except MissingError:
                return value.get("name", "")
        if "amount" in value:
            currency = names.get(("res.currency", value.get("currency")))
            return formatLang(self.env, value["amount"], currency_obj=currency)
        if "labels" in value:
            return join_items(
                self.env, [self._render_label(label) for label in value["labels"]]
            )
        return ""

    def _render_label(self, label):
        labels = {
            "street": self.env._("street"),
            "city": self.env._("city"),
            "country": self.env._("country"),
            "zip": self.env._("ZIP code"),
        }
        return labels.get(label, label)

    def _render_finding(self, finding, names):
        """One finding in words; an unknown code shows its stored text."""
        env = self.env
        code = finding.get("code")
        p = {
            key: self._render_param(value, names)
            for key, value in finding.get("params", {}).items()
        }
        if code == "no_customer":
            return env._("No customer is set.")
        if code == "no_delivery_address":
            return env._("No delivery address is set.")
        if code == "address_incomplete":
            return env._(
                "The delivery address %(address)s has no %(missing)s.",
                address=p["address"],
                missing=p["missing"],
            )
        if code == "no_contact":
            return env._("No phone or e-mail for the customer or the delivery contact.")
        if code == "no_product_line":
            return env._("The order has no product line.")
        if code == "line_quantity":
            return env._(
                "Line %(product)s: the quantity must be greater than 0.",
                product=p["product"],
            )
        if code == "line_price":
            return env._("Line %(product)s: no unit price.", product=p["product"])
        if code == "completeness_ok":
            return env._("Customer, address, contact and lines are complete.")
        if code == "stock_short":
            return env._(
                "Only %(available)s of %(needed)s %(uom)s of %(product)s "
                "available in %(warehouse)s.",
                available=p["available"],
                needed=p["needed"],
                uom=p["uom"],
                product=p["product"],
                warehouse=p["warehouse"],
            )
        if code == "stock_ok":
            return env._(
                "Every product is available in %(warehouse)s.",
                warehouse=p["warehouse"],
            )
        if code == "no_payment_terms":
            return env._("No payment terms and no payment method are set.")
        if code == "payment_ok":
            return env._("Payment: %(terms)s.", terms=p["terms"])
        if code == "credit_exceeded":
            return env._(
                "%(customer)s is over its credit limit of %(limit)s: %(total)s is "
                "due with this order.",
                customer=p["customer"],
                limit=p["limit"],
                total=p["total"],
            )
        if code == "credit_ok":
            return env._("The order is within the customer's credit limit.")
        if code == "credit_not_used":
            return env._("The company does not use credit limits.")
        if code == "discount_above":
            return env._(
                "Line %(product)s: discount %(discount)s%% is above the "
                "%(max)s%% allowed.",
                product=p["product"],
                discount=p["discount"],
                max=p["max"],
            )
        if code == "discount_ok":
            return env._("No discount above %(max)s%%.", max=p["max"])
        if code == "price_below":
            return env._(
                "Line %(product)s: unit price %(price)s is below the pricelist "
                "price %(expected)s (more than %(max)s%% off).",
                product=p["product"],
                price=p["price"],
                expected=p["expected"],
                max=p["max"],
            )
        if code == "pricelist_price_ok":
            return env._("Unit prices follow the pricelist.")
        if code == "phone_invalid":
            return env._(
                "The phone number of %(contact)s is not valid for %(country)s: "
                "%(reason)s",
                contact=p["contact"],
                country=p["country"] or env._("no country"),
                reason=self._phone_problem(p["phone"], p["country_code"]),
            )
        if code == "email_invalid":
            return env._(
                "The e-mail address of %(contact)s is not valid: %(email)s",
                contact=p["contact"],
                email=p["email"],
            )
        if code == "contact_format_ok":
            return env._("Phone numbers and e-mail addresses are valid.")
        # Items checked before the findings were kept as codes keep the text
        # they were written with.
        return p.get("text", "")

    def _phone_problem(self, phone, country_code):
        """Why ``phone`` is not valid in ``country_code``, in the current
        language (Odoo's phone validation, which is no query)."""
        try:
            phone_validation.phone_parse(phone, country_code)
        except UserError as error:
            reason = error.args[0]
            return self.env._(reason) if not isinstance(reason, str) else reason
        return ""

    # === BUSINESS METHODS: the checks === #

    def _evaluate_completeness(self, order):
        problems = []
        if not order.partner_id:
            problems.append(_finding("no_customer"))
        address = order.partner_shipping_id
        if not address:
            problems.append(_finding("no_delivery_address"))
        else:
            missing = [
                label
                for label, value in (
                    ("street", address.street),
                    ("city", address.city),
                    ("country", address.country_id),
                )
                if not value
            ]
            if address.country_id.zip_required and not address.zip:
                missing.append("zip")
            if missing:
                problems.append(
                    _finding(
                        "address_incomplete",
                        address=_ref(address),
                        missing={"labels": missing},
                    )
                )
        contacts = order.partner_shipping_id | order.partner_id
        if not any(contact.phone or contact.email for contact in contacts):
            problems.append(_finding("no_contact"))
        product_lines = order.order_line.filtered(lambda line: not line.display_type)
        if not product_lines:
            problems.append(_finding("no_product_line"))
        for line in product_lines:
            product = _ref(line.product_id) if line.product_id else line.name
            if line.product_uom_qty <= 0:
                problems.append(_finding("line_quantity", product=product))
            if line.price_unit <= 0 and not line.is_downpayment:
                problems.append(_finding("line_price", product=product))
        return problems

    def _with_stock_of(self, orders):
        """The rules, with the free quantities of every storable product of
        ``orders`` read at once (one query per warehouse) for their stock
        checks, when they check the stock of several orders."""
        if len(orders) < 2 or not any(rule.check_type == "stock" for rule in self):
            return self
        wanted = {}
        for line in orders.order_line:
            if line.product_id.is_storable and not line.display_type:
                warehouse = line.order_id.warehouse_id
                wanted[warehouse] = wanted.get(warehouse, line.product_id.browse())
                wanted[warehouse] |= line.product_id
        free = {
            warehouse.id: self.env["sale.order"]._get_free_quantities(
                products, warehouse
            )
            for warehouse, products in wanted.items()
        }
        return self.with_context(**{FREE_QUANTITIES_KEY: free})

    def _evaluate_stock(self, order):
        """Free quantity of each storable product in the order's warehouse."""
        needed = {}
        for line in order.order_line.filtered(
            lambda line: line.product_id.is_storable and not line.display_type
        ):
            product = line.product_id
            needed[product] = needed.get(
                product, 0.0
            ) + line.product_uom_id._compute_quantity(
                line.product_uom_qty, product.uom_id, raise_if_failure=False
            )
        if not needed:
            return []
        products = self.env["product.product"].union(*needed)
        # Read for every order of the call at once (_with_stock_of), else one
        # read of the free quantities of every product of the order (from the
        # quants: Odoo's free_qty reads the forecast's moves too).
        available = self.env.context.get(FREE_QUANTITIES_KEY, {}).get(
            order.warehouse_id.id
        )
        if available is None or not available.keys() >= set(products.ids):
            available = self.env["sale.order"]._get_free_quantities(
                products, order.warehouse_id
            )
        problems = []
        for product, quantity in needed.items():
            if available[product.id] < quantity:
                problems.append(
                    _finding(
                        "stock_short",
                        available=_format_number(max(available[product.id], 0)),
                        needed=_format_number(quantity),
                        uom=_ref(product.uom_id),
                        product=_ref(product),
                        warehouse=_ref(order.warehouse_id),
                    )
                )
        return problems

    def _evaluate_payment_terms(self, order):
        if order.payment_term_id or order.preferred_payment_method_line_id:
            return []
        return [_finding("no_payment_terms")]

    def _evaluate_credit(self, order):
        """The customer's open balance plus this order within its credit limit,
        as core Sales computes it when the company uses credit limits."""
        if not order.company_id.account_use_credit_limit:
            return []
        # Not stored and not depending on the customer's balance or limit.
        order.invalidate_recordset(["partner_credit_warning"])
        if not order.partner_credit_warning:
            return []
        # The amounts of Sales' warning, kept as numbers to be worded in the
        # reader's language.
        customer = order.partner_id.commercial_partner_id
        currency = order.company_id.currency_id
        total = (
            customer.credit
            + customer.credit_to_invoice
            + order.amount_total / (order.currency_rate or 1.0)
        )
        return [
            _finding(
                "credit_exceeded",
                customer=_ref(customer),
                limit=_amount(customer.credit_limit, currency),
                total=_amount(total, currency),
            )
        ]

    def _evaluate_discount(self, order):
        problems = []
        for line in order.order_line.filtered(lambda line: not line.display_type):
            allowed = max(self.max_discount, _pricelist_discount(line))
            if line.discount > allowed + 0.001:
                problems.append(
                    _finding(
                        "discount_above",
                        product=_ref(line.product_id) if line.product_id else line.name,
                        discount=_format_number(line.discount),
                        max=_format_number(self.max_discount),
                    )
                )
        return problems

    def _evaluate_pricelist_price(self, order):
        """Unit prices not below the pricelist's, beyond what the discount rules
        allow."""
        discount_rules = self._search_company_rules(
            order.company_id, [("check_type", "=", "discount")]
        )
        allowed = max(discount_rules.mapped("max_discount") or [0.0])
        problems = []
        for line in order.order_line.filtered(
            lambda line: (
                line.product_id and not line.display_type and not line.is_downpayment
            )
        ):
            expected = line._get_display_price()
            floor = expected * (1 - allowed / 100)
            if line.currency_id.compare_amounts(line.price_unit, floor) < 0:
                problems.append(
                    _finding(
                        "price_below",
                        product=_ref(line.product_id),
                        price=_format_number(line.price_unit),
                        expected=_format_number(expected),
                        max=_format_number(allowed),
                    )
                )
        return problems

    def _evaluate_contact_format(self, order):
        problems = []
        delivery_country = order.partner_shipping_id.country_id
        for contact in order.partner_shipping_id | order.partner_id:
            country = contact.country_id or delivery_country
            if contact.phone:
                try:
                    phone_validation.phone_parse(contact.phone, country.code)
                except UserError:
                    # The reason is worded again when read, in the reader's
                    # language, from the number and the country.
                    problems.append(
                        _finding(
                            "phone_invalid",
                            contact=_ref(contact),
                            country=_ref(country) if country else "",
                            phone=contact.phone,
                            country_code=country.code or "",
                        )
                    )
            if contact.email and not single_email_re.match(contact.email.strip()):
                problems.append(
                    _finding(
                        "email_invalid", contact=_ref(contact), email=contact.email
                    )
                )
        return problems


def _finding(code, **params):
    """A finding of a check: a code and its parameters, JSON values, worded
    when read (order.review.rule._render_finding)."""
    return {"code": code, "params": params}


def _ref(record):
    """A record named by a finding: read again when the finding is worded,
    its current name kept for the case it is deleted."""
    if not record:
        return ""
    return {"model": record._name, "id": record.id, "name": record.display_name}


def _amount(value, currency):
    return {"amount": value, "currency": currency.id}


def _format_number(value):
    """12.0 -> '12', 2.5 -> '2.5'."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _pricelist_discount(line):
    """The discount the pricelist itself shows on ``line``, in percent."""
    if not line.product_id or not line.pricelist_item_id._show_discount():
        return 0.0
    base = line._get_pricelist_price_before_discount()
    if not base:
        return 0.0
    return max((base - line._get_pricelist_price()) / base * 100, 0.0)
