from odoo import api, fields, models, tools
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

    # === CRUD METHODS === #

    # The lookup below is cached in the registry: any change of a rule
    # empties the cache (in every worker, as Odoo's own record rules do).
    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    # === BUSINESS METHODS === #

    @api.model
    def _search_company_rules(self, companies, domain=None):
        """The active rules of ``companies`` and the shared ones (no company),
        in the rules' order. Every order's creation, submission and approval
        looks them up: the ids found are kept in the registry's cache, per
        user, allowed companies and superuser mode (the record rules' own
        cache key), until a rule, a record rule or a user's groups change."""
        domain = Domain("company_id", "in", [False, *companies.ids]) & Domain(
            domain or []
        )
        return self.browse(self._search_company_rule_ids(domain))

    @api.model
    @tools.ormcache(
        "self.env.uid",
        "self.env.su",
        "tuple(self.env.companies.ids)",
        "self.env.context.get('active_test', True)",
        "str(domain)",
    )
    def _search_company_rule_ids(self, domain):
        """The ids of ``_search_company_rules`` (cached)."""
        return tuple(self.search(domain).ids)

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
