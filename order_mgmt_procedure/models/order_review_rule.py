from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.mail import single_email_re

from odoo.addons.phone_validation.tools import phone_validation

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
    _description = "Order Review Rule"
    _order = "phase, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to apply the rule in every company.",
    )
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

    @api.model
    def _get_rules(self, company, phase):
        return self.search(
            [("phase", "=", phase), ("company_id", "in", [company.id, False])]
        )

    def _evaluate(self, order):
        """Problems the rule finds on ``order``, in plain words; empty when it
        passes. Manual rules find nothing: the reviewer ticks them."""
        self.ensure_one()
        evaluator = getattr(self, f"_check_{self.check_type}", None)
        return evaluator(order) if evaluator else []

    def _check_completeness(self, order):
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
                        missing=", ".join(missing),
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

    def _check_contact_format(self, order):
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
