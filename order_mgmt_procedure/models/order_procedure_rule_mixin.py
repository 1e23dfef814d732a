from odoo import api, fields, models
from odoo.fields import Domain


class OrderProcedureRuleMixin(models.AbstractModel):
    """What the procedure's rule tables share: a company (empty for a rule
    every company uses), an order, an active flag, the company's currency,
    and the lookup of the rules that apply in some companies."""

    _name = "order.procedure.rule.mixin"
    _description = "Order Procedure Rule"
    _order = "sequence, id"

    # === FIELDS === #

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to apply the rule in every company."
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")

    # === COMPUTE METHODS === #

    @api.depends("company_id")
    @api.depends_context("company")
    def _compute_currency_id(self):
        for rule in self:
            rule.currency_id = (rule.company_id or self.env.company).currency_id

    # === BUSINESS METHODS === #

    @api.model
    def _search_company_rules(self, companies, domain=None):
        """The active rules of ``companies`` and the shared ones (no company),
        in the rules' order."""
        return self.search(
            Domain("company_id", "in", [False, *companies.ids]) & Domain(domain or [])
        )

    def _filter_company(self, company):
        """The rules that apply in ``company``: its own and the shared ones."""
        return self.filtered(
            lambda rule: not rule.company_id or rule.company_id == company
        )

    def _pick_company_rule(self, company):
        """The first of the rules that is ``company``'s own, else the first
        shared one."""
        rules = self._filter_company(company)
        return rules.filtered("company_id")[:1] or rules[:1]
