from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.mail import single_email_re

from odoo.addons.phone_validation.tools import phone_validation

from ..tools.text import join_items

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
        """Problems the rule finds on ``order``, in plain words; empty when it
        passes. Manual rules find nothing: the reviewer ticks them."""
        self.ensure_one()
        evaluator = getattr(self, f"_evaluate_{self.check_type}", None)
        return evaluator(order) if evaluator else []

    def _pass_message(self, order):
        """What a passing automatic check found, for the checklist."""
        self.ensure_one()
        messages = {
            "completeness": self.env._(
                "Customer, address, contact and lines are complete."
            ),
            "contact_format": self.env._(
                "Phone numbers and e-mail addresses are valid."
            ),
            "stock": self.env._(
                "Every product is available in %(warehouse)s.",
                warehouse=order.warehouse_id.display_name,
            ),
            "payment_terms": self.env._(
                "Payment: %(terms)s.",
                terms=order.payment_term_id.display_name
                or order.preferred_payment_method_line_id.display_name,
            ),
            "credit": self.env._("The order is within the customer's credit limit.")
            if order.company_id.account_use_credit_limit
            else self.env._("The company does not use credit limits."),
            "discount": self.env._(
                "No discount above %(max)s%%.", max=_format_number(self.max_discount)
            ),
            "pricelist_price": self.env._("Unit prices follow the pricelist."),
        }
        return messages.get(self.check_type, "")

    def _evaluate_completeness(self, order):
        problems = []
        if not order.partner_id:
            problems.append(self.env._("No customer is set."))
        address = order.partner_shipping_id
        if not address:
            problems.append(self.env._("No delivery address is set."))
        else:
            missing = [
                label
                for label, value in (
                    (self.env._("street"), address.street),
                    (self.env._("city"), address.city),
                    (self.env._("country"), address.country_id),
                )
                if not value
            ]
            if address.country_id.zip_required and not address.zip:
                missing.append(self.env._("ZIP code"))
            if missing:
                problems.append(
                    self.env._(
                        "The delivery address %(address)s has no %(missing)s.",
                        address=address.display_name,
                        missing=join_items(self.env, missing),
                    )
                )
        contacts = order.partner_shipping_id | order.partner_id
        if not any(contact.phone or contact.email for contact in contacts):
            problems.append(
                self.env._(
                    "No phone or e-mail for the customer or the delivery contact."
                )
            )
        product_lines = order.order_line.filtered(lambda line: not line.display_type)
        if not product_lines:
            problems.append(self.env._("The order has no product line."))
        for line in product_lines:
            if line.product_uom_qty <= 0:
                problems.append(
                    self.env._(
                        "Line %(product)s: the quantity must be greater than 0.",
                        product=line.product_id.display_name or line.name,
                    )
                )
            if line.price_unit <= 0 and not line.is_downpayment:
                problems.append(
                    self.env._(
                        "Line %(product)s: no unit price.",
                        product=line.product_id.display_name or line.name,
                    )
                )
        return problems

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
        # One batched read of the free quantities of every product.
        available = dict(
            zip(
                products.ids,
                products.with_context(warehouse_id=order.warehouse_id.id).mapped(
                    "free_qty"
                ),
                strict=True,
            )
        )
        problems = []
        for product, quantity in needed.items():
            if available[product.id] < quantity:
                problems.append(
                    self.env._(
                        "Only %(available)s of %(needed)s %(uom)s of %(product)s "
                        "available in %(warehouse)s.",
                        available=_format_number(max(available[product.id], 0)),
                        needed=_format_number(quantity),
                        uom=product.uom_id.name,
                        product=product.display_name,
                        warehouse=order.warehouse_id.display_name,
                    )
                )
        return problems

    def _evaluate_payment_terms(self, order):
        if order.payment_term_id or order.preferred_payment_method_line_id:
            return []
        return [self.env._("No payment terms and no payment method are set.")]

    def _evaluate_credit(self, order):
        """The customer's open balance plus this order within its credit limit,
        as core Sales computes it when the company uses credit limits."""
        if not order.company_id.account_use_credit_limit:
            return []
        # Not stored and not depending on the customer's balance or limit.
        order.invalidate_recordset(["partner_credit_warning"])
        warning = order.partner_credit_warning
        return [warning] if warning else []

    def _evaluate_discount(self, order):
        problems = []
        for line in order.order_line.filtered(lambda line: not line.display_type):
            allowed = max(self.max_discount, _pricelist_discount(line))
            if line.discount > allowed + 0.001:
                problems.append(
                    self.env._(
                        "Line %(product)s: discount %(discount)s%% is above the "
                        "%(max)s%% allowed.",
                        product=line.product_id.display_name or line.name,
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
                    self.env._(
                        "Line %(product)s: unit price %(price)s is below the pricelist "
                        "price %(expected)s (more than %(max)s%% off).",
                        product=line.product_id.display_name,
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
                except UserError as error:
                    problems.append(
                        self.env._(
                            "The phone number of %(contact)s is not valid for "
                            "%(country)s: %(reason)s",
                            contact=contact.display_name,
                            country=country.name or self.env._("no country"),
                            reason=error.args[0],
                        )
                    )
            if contact.email and not single_email_re.match(contact.email.strip()):
                problems.append(
                    self.env._(
                        "The e-mail address of %(contact)s is not valid: %(email)s",
                        contact=contact.display_name,
                        email=contact.email,
                    )
                )
        return problems


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
