from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.text import join_items
from .order_review_rule import AUTOMATIC_CHECK_TYPES


class SaleOrderReviewLine(models.Model):
    _name = "sale.order.review.line"
    _inherit = ["order.procedure.facts.mixin"]
    _description = "Order Review Checklist Item"
    _order = "order_id, sequence, id"

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True
    )
    # Precomputed: stored with the item's insert, not by an update after it.
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, precompute=True
    )
    rule_id = fields.Many2one("order.review.rule", required=True, ondelete="restrict")
    sequence = fields.Integer()
    phase = fields.Selection(related="rule_id.phase")
    check_type = fields.Selection(related="rule_id.check_type")
    blocking = fields.Boolean(
        readonly=True,
        help="Copied from the rule when the checklist was made: a failing "
        "blocking item stops the approval.",
    )
    description = fields.Text(related="rule_id.description")
    result = fields.Selection(
        [("pending", "To Check"), ("pass", "Passed"), ("fail", "Failed")],
        required=True,
        readonly=True,
        default="pending",
    )
    # What the check found is kept as codes and parameters, and worded when
    # read: in the reader's language, whoever or whatever ran the check.
    message_data = fields.Json(readonly=True, export_string_translation=False)
    message = fields.Text(compute="_compute_message", help="What the check found.")
    # Empty for the automatic checks: the system checked them, not the user
    # whose change ran them.
    checked_by_id = fields.Many2one("res.users", readonly=True)
    checked_by_label = fields.Char(
        string="Checker",
        compute="_compute_checked_by_label",
        help="Automatic for the checks the system runs, else the reviewer who "
        "ticked the item.",
    )
    checked_date = fields.Datetime(string="Checked On", readonly=True)
    can_mark_pass = fields.Boolean(compute="_compute_can_mark_pass")

    @api.depends("message_data")
    @api.depends_context("lang")
    def _compute_message(self):
        texts = self.env["order.review.rule"]._render_findings(
            [line.message_data for line in self]
        )
        for line, line_texts in zip(self, texts, strict=True):
            line.message = "\n".join(line_texts)

    @api.depends("check_type", "checked_by_id", "checked_date")
    @api.depends_context("lang")
    def _compute_checked_by_label(self):
        automatic = self.env._("Automatic")
        for line in self:
            if line.check_type in AUTOMATIC_CHECK_TYPES:
                line.checked_by_label = automatic if line.checked_date else False
            else:
                line.checked_by_label = line.checked_by_id.display_name or False

    @api.depends("check_type", "result", "order_id.review_state")
    @api.depends_context("uid")
    def _compute_can_mark_pass(self):
        is_reviewer = self.env.user.has_group(
            "order_mgmt_procedure.group_order_reviewer"
        )
        for line in self:
            line.can_mark_pass = (
                is_reviewer
                and line.check_type == "manual"
                and line.result != "pass"
                and line.order_id.review_state == "to_review"
            )

    @api.model
    def _get_procedure_fact_fields(self):
        steps = self.env._("the automatic checks and Mark as Checked")
        return {
            **super()._get_procedure_fact_fields(),
            **dict.fromkeys(
                ("order_id", "rule_id", "blocking", "result", "message_data"), steps
            ),
            **dict.fromkeys(("checked_by_id", "checked_date"), steps),
        }

    def _evaluate(self):
        """Run the automatic checks, as the system: no user checked them.
        Manual items wait for a reviewer."""
        now = fields.Datetime.now()
        lines = self.filtered(lambda ln: ln.check_type in AUTOMATIC_CHECK_TYPES)
        # The stock of the call's orders read at once.
        rules = lines.rule_id._with_stock_of(lines.order_id)
        for line in lines:
            rule = line.rule_id.with_env(rules.env)
            vals = self._get_evaluation_vals(rule, line.order_id, now)
            # Evaluated again with the same finding within the same second
            # (several changes of one request): nothing to write.
            if (
                line.result != vals["result"]
                or line.message_data != vals["message_data"]
                or line.checked_by_id
                or line.checked_date != now
            ):
                line.update(vals)

    @api.model
    def _get_evaluation_vals(self, rule, order, now):
        """The result of the automatic check of ``rule`` on ``order``, as the
        item's values: for the items evaluated again and for the new items of
        a checklist, evaluated before they are inserted."""
        problems = rule._find_problems(order)
        return {
            "result": "fail" if problems else "pass",
            "message_data": problems or [rule._pass_finding(order)],
            "checked_by_id": False,
            "checked_date": now,
        }

    def action_mark_pass(self):
        """A reviewer confirms a manual item of the checklist."""
        if not self.env.user.has_group("order_mgmt_procedure.group_order_reviewer"):
            raise AccessError(
                self.env._("Only order reviewers may tick the review checklist.")
            )
        for line in self:
            if line.check_type != "manual":
                raise UserError(
                    self.env._(
                        "%(item)s is checked by the system; use Re-check after "
                        "fixing the order.",
                        item=line.rule_id.name,
                    )
                )
            if line.order_id.review_state != "to_review":
                raise UserError(
                    self.env._(
                        "%(order)s is not in review.",
                        order=line.order_id.display_name,
                    )
                )
        self._write_procedure_facts(
            {
                "result": "pass",
                "checked_by_id": self.env.uid,
                "checked_date": fields.Datetime.now(),
            }
        )
        # One internal note per order and call, naming every item ticked
        # (with the item's Checker and Checked On, the audit of the tick), in
        # the company's language; logged without notifying anyone, as a note
        # posted in the chatter notifies nobody either.
        for lang, orders in self.order_id._group_by_procedure_lang().items():
            orders = orders.with_context(lang=lang)
            bodies = {}
            for order in orders:
                items = self.with_env(orders.env).filtered(
                    lambda ln, o=order: ln.order_id == o
                )
                bodies[order.id] = orders.env._(
                    "Checked: %(items)s",
                    items=join_items(orders.env, items.mapped("rule_id.name")),
                )
            orders._message_log_batch(bodies=bodies)
        return True
