"""Reception (stage Received): channel, receiving time, rush, rule-based
priority and its reason, intake checks, deliveries following the priority."""

from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError

from ..tools.text import join_items
from .order_priority_rule import PRIORITIES

ORDER_CHANNELS = [
    ("website", "Website / App"),
    ("marketplace", "Marketplace"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("import", "Batch Import"),
    ("other", "Other"),
]

# What the priority rules look at.
PRIORITY_DEPENDENCIES = (
    "amount_total",
    "currency_id",
    "date_order",
    "company_id",
    "is_rush",
    "partner_id.category_id",
    "partner_id.commercial_partner_id.category_id",
    "priority_manual",
)


class IntakeContactError(RedirectWarning, UserError):
    """The intake refusal when a contact lacks what the checks need: a
    UserError to whoever catches one (RPC clients included), shown by the web
    client as a RedirectWarning whose button opens the contact."""

    def __init__(self, message, action, button_text):
        # RedirectWarning's arguments, without UserError's one-argument init.
        Exception.__init__(self, message, action, button_text, None)
        # The web client picks the dialog by exception class: this one is
        # known to it by its parent's name.
        self.context = {"exception_class": "odoo.exceptions.RedirectWarning"}

    def __str__(self):
        return self.args[0]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # One order per customer and external reference among the imported orders
    # not cancelled, decided by the database when two imports run at once.
    _import_reference_unique = models.UniqueIndex(
        "(company_id, import_reference_key) WHERE state != 'cancel'",
        "This order of the file was imported by someone else at the same moment.",
    )

    # === FIELDS === #

    order_channel = fields.Selection(
        ORDER_CHANNELS,
        string="Channel",
        required=True,
        default=lambda self: self._default_order_channel(),
        tracking=True,
        index=True,
        help="Where the order came from. Website and portal orders are "
        "'Website / App' and imported ones 'Batch Import' by themselves.",
    )
    received_date = fields.Datetime(
        string="Received On",
        required=True,
        default=fields.Datetime.now,
        copy=False,
        tracking=True,
        help="When the order was received; it cannot change once the order is "
        "submitted for review.",
    )
    is_rush = fields.Boolean(
        string="Rush Order",
        tracking=True,
        help="The customer asked for the order to be handled urgently.",
    )
    customer_note = fields.Text(
        help="What the customer asked for with the order (for example the note "
        "column of an imported file). Not printed on the quotation.",
    )
    priority = fields.Selection(
        PRIORITIES,
        compute="_compute_priority",
        inverse="_inverse_priority",
        store=True,
        readonly=False,
        tracking=True,
        index=True,
        help="Computed from the priority rules (amount, customer grade, rush); "
        "reviewers may set it by hand. Urgent orders are reviewed, reserved and "
        "shipped first.",
    )
    # Not stored: the rule names read in the reader's language.
    priority_reason = fields.Char(
        compute="_compute_priority_reason",
        help="The rules that made the order urgent, or that it was set by hand.",
    )
    priority_manual = fields.Selection(
        PRIORITIES,
        string="Priority Set by Hand",
        copy=False,
        help="Set when a reviewer overrode the computed priority.",
    )
    can_override_priority = fields.Boolean(compute="_compute_can_override_priority")
    import_reference_key = fields.Char(
        compute="_compute_import_reference_key",
        store=True,
        copy=False,
        export_string_translation=False,
    )

    # === DEFAULT METHODS === #

    @api.model
    def _default_order_channel(self):
        # Website and portal orders are created for customers and visitors
        # (share users), under sudo by the shop controllers.
        if self.env.context.get("website_id") or self.env.user.share:
            return "website"
        return "phone"

    # === COMPUTE METHODS === #

    # The lines' priority only where a module gives the lines one (OCA
    # sale_order_priority).
    @api.depends(
        lambda self: (
            PRIORITY_DEPENDENCIES
            + (("order_line.priority",) if self._has_line_priority() else ())
        )
    )
    def _compute_priority(self):
        rules = self._get_priority_rules()
        for order in self:
            order.priority = max(
                order.priority_manual or order._get_rule_priority(rules)[0],
                order._get_line_priority(),
            )

    # Not computed with the priority: a reviewer writing the priority must
    # still see the reason follow.
    @api.depends(*PRIORITY_DEPENDENCIES)
    @api.depends_context("lang")
    def _compute_priority_reason(self):
        rules = self._get_priority_rules()
        for order in self:
            if order.priority_manual:
                order.priority_reason = self.env._("Set by hand")
            else:
                order.priority_reason = join_items(
                    self.env, order._get_rule_priority(rules)[1]
                )

    def _inverse_priority(self):
        rules = self._get_priority_rules()
        lines_have_priority = self._has_line_priority()
        changed = self.browse()
        for order in self:
            rule_priority, __ = order._get_rule_priority(rules)
            # Saving the computed priority (a form) changes nothing.
            if order.priority == max(rule_priority, order._get_line_priority()):
                manual = False
            else:
                changed |= order
                # Where the lines have a priority they carry the change, unless
                # the procedure is on (then it is a reviewer's override, as
                # without them).
                procedure_on = (
                    order.company_id or self.env.company
                ).order_review_required
                manual = (
                    order.priority
                    if order.priority != rule_priority
                    and (procedure_on or not lines_have_priority)
                    else False
                )
            if manual == order.priority_manual:
                continue
            if not order.can_override_priority:
                raise AccessError(
                    self.env._(
                        "Only order reviewers may change the priority of %(order)s.",
                        order=order.display_name,
                    )
                )
            order._write_procedure_facts({"priority_manual": manual})
        # sale_order_priority's inverse: the lines take the order's priority.
        parent = super(SaleOrder, changed)
        if lines_have_priority and changed and hasattr(parent, "_inverse_priority"):
            return parent._inverse_priority()
        return None

    @api.depends(
        "order_channel", "client_order_ref", "partner_id.commercial_partner_id"
    )
    def _compute_import_reference_key(self):
        for order in self:
            order.import_reference_key = (
                order.order_channel == "import"
                and order.client_order_ref
                and f"{order.partner_id.commercial_partner_id.id}/"
                f"{order.client_order_ref}"
            ) or False

    @api.depends_context("uid")
    def _compute_can_override_priority(self):
        allowed = self.env.su or self.env.user.has_group(
            "order_mgmt_procedure.group_order_reviewer"
        )
        self.can_override_priority = allowed

    # === CONSTRAINT METHODS === #

    @api.constrains("received_date")
    def _check_received_date(self):
        latest = fields.Datetime.add(fields.Datetime.now(), minutes=5)
        for order in self:
            if order.received_date and order.received_date > latest:
                raise ValidationError(
                    self.env._(
                        "The receiving time of %(order)s cannot be in the future.",
                        order=order.display_name,
                    )
                )

    # === CRUD METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        return {
            **super()._get_procedure_fact_fields(),
            "priority_manual": self.env._("a reviewer's change of the priority"),
            "import_reference_key": self.env._("Import Orders"),
        }

    @api.model
    def _complete_reception_vals(self, vals):
        """Values of a new order completed at reception (called by create)."""
        if vals.get("website_id") and "order_channel" not in vals:
            vals["order_channel"] = "website"
        return vals

    def _check_received_date_write(self, vals):
        """The receiving time is a fact once the order is submitted (called by
        write)."""
        if "received_date" not in vals:
            return
        submitted = self.filtered(
            lambda o: o.review_state != "draft" or o.state not in ("draft", "sent")
        )
        if submitted:
            raise UserError(
                self.env._(
                    "The receiving time cannot change once the order is "
                    "submitted for review: %(orders)s.",
                    orders=join_items(self.env, submitted.mapped("display_name")),
                )
            )

    # === BUSINESS METHODS: priority === #

    @api.model
    def _has_line_priority(self):
        """Whether order lines have a priority of their own (OCA
        sale_order_priority): the order's is then the highest of the lines' and
        its own, and setting it sets the lines'."""
        return "priority" in self.env["sale.order.line"]._fields

    def _get_line_priority(self):
        """The highest priority of the order's lines ('0' where lines have none)."""
        self.ensure_one()
        if not self._has_line_priority():
            return "0"
        return max(filter(None, self.order_line.mapped("priority")), default="0")

    def _get_priority_rules(self):
        """The active priority rules that apply to the orders' companies where
        the procedure is on (Review Required): elsewhere orders keep Odoo's
        priority."""
        companies = (self.company_id or self.env.company).filtered(
            "order_review_required"
        )
        if not companies:
            return self.env["order.priority.rule"]
        # sudo: the rules are configuration every order's priority follows,
        # whoever edits the order (Odoo's salespeople without a procedure role
        # included); only their names are shown.
        return self.env["order.priority.rule"].sudo()._search_company_rules(companies)

    def _get_rule_priority(self, rules):
        """The highest priority among the matching ``rules`` and their names."""
        self.ensure_one()
        company = self.company_id or self.env.company
        if not company.order_review_required:
            return "0", []
        amount = self.currency_id._convert(
            self.amount_total,
            company.currency_id,
            company,
            self.date_order or fields.Date.context_today(self),
        )
        grades = (
            self.partner_id.category_id
            | self.partner_id.commercial_partner_id.category_id
        )
        matched = rules.filtered(lambda rule: rule._matches(self, amount, grades))
        if not matched:
            return "0", []
        highest = max(matched.mapped("priority"))
        return highest, matched.filtered(lambda r: r.priority == highest).mapped("name")

    @contextmanager
    def _syncing_delivery_priority(self):
        """Open deliveries follow the priority the order has after the block.

        Only confirmed orders have deliveries to follow it: a quotation's
        priority is not computed here (before its lines exist, then again).
        Their transfers are not read before the block: that broke Odoo's own
        decrease of a delivered line (sale_stock's
        test_return_with_mto_and_multisteps_old_pull)."""
        previous = {
            order.id: order.priority
            for order in self
            if order.id and order.state == "sale"
        }
        yield
        changed = self.filtered(
            lambda o: o.id in previous and o.priority != previous[o.id]
        )
        changed._sync_delivery_priority()

    def _sync_delivery_priority(self):
        # sudo: following the order's priority is part of the change its author
        # made, and receivers have no right to write transfers.
        pickings = self.sudo().picking_ids.filtered(
            lambda p: (
                p.state not in ("done", "cancel") and p.priority != p.sale_id.priority
            )
        )
        for priority in {picking.sale_id.priority for picking in pickings}:
            pickings.filtered(
                lambda p, prio=priority: p.sale_id.priority == prio
            ).write({"priority": priority})

    # === BUSINESS METHODS: intake checks === #

    def _run_intake_checks(self):
        """Blocking problems and warnings of the intake rules, by order, as
        findings (order.review.rule._render_findings words them)."""
        rules = self.env["order.review.rule"]._search_company_rules(
            self.company_id, [("phase", "=", "intake")]
        )
        problems, warnings = {}, {}
        for order in self:
            for rule in rules._filter_company(order.company_id):
                # sudo: a receiver may not read every record a rule looks at
                # (a delivery contact of another salesperson's customer).
                found = rule.sudo()._find_problems(order.sudo())
                if found:
                    target = problems if rule.blocking else warnings
                    target.setdefault(order, []).extend(found)
        return problems, warnings

    def _word_intake_findings(self, findings_by_order):
        """``{order: [text]}`` of ``{order: [finding]}``, in the language of
        the environment."""
        orders = list(findings_by_order)
        texts = self.env["order.review.rule"]._render_findings(
            [findings_by_order[order] for order in orders]
        )
        return dict(zip(orders, texts, strict=True))

    def _get_intake_refusal(self, problems):
        """The error refusing the orders' submission for ``problems`` (the
        blocking problems by order): for one order whose customer or delivery
        address lacks what the checks need, with a button opening that contact."""
        message = "\n\n".join(
            self.env._(
                "%(order)s cannot be submitted for review:\n%(problems)s",
                order=order.display_name,
                problems="\n".join(f"- {p}" for p in order_problems),
            )
            for order, order_problems in problems.items()
        )
        contact = self.env["res.partner"]
        if len(problems) == 1:
            # sudo: as the checks, which read contacts a receiver may not.
            contact = next(iter(problems)).sudo()._get_contact_to_complete()
            contact = contact.with_env(self.env)
        if not contact or not contact.has_access("write"):
            return UserError(message)
        return IntakeContactError(
            message,
            {
                "type": "ir.actions.act_window",
                "name": contact.display_name,
                "res_model": "res.partner",
                "res_id": contact.id,
                "view_mode": "form",
                "views": [[False, "form"]],
                "target": "new",
            },
            self.env._("Open the Contact"),
        )

    def _get_contact_to_complete(self):
        """The contact to complete so that the intake checks pass: the delivery
        address when its address is incomplete, else the customer when neither
        has a phone or e-mail, else the first whose phone or e-mail is not
        well-formed; none when the contacts are not the problem."""
        self.ensure_one()
        address = self.partner_shipping_id
        contacts = address | self.partner_id
        if address and address._is_address_incomplete():
            return address
        if contacts and not any(c.phone or c.email for c in contacts):
            return self.partner_id or address
        return next(
            (
                c
                for c in contacts
                if c._has_malformed_contact_details(address.country_id)
            ),
            self.env["res.partner"],
        )
