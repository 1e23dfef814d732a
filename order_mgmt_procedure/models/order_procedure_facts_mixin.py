from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

# The procedure's own methods write its facts under this context value. It is
# no value an XML-RPC or JSON-RPC client can send: a user's context never
# carries it.
_PROCEDURE_WRITE = object()
# Marks a transaction whose tracking is worded in the company's language.
_TRACKING_IN_PROCEDURE_LANG = "order_mgmt_procedure.tracking_in_procedure_lang"


class OrderProcedureFactsMixin(models.AbstractModel):
    """Fields that record a fact of the procedure (a review result, who
    checked, a completion, a request's state, a refund's origin) are set only
    by the procedure's own methods: a user's create, write or copy that
    carries one of them, or a default for one, is refused, and nothing is
    written."""

    _name = "order.procedure.facts.mixin"
    _description = "Order Procedure Facts"

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        self._check_procedure_facts(vals_list, defaults=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_procedure_facts([vals])
        return super().write(vals)

    # === BUSINESS METHODS === #

    @api.model
    def _get_procedure_fact_fields(self):
        """``{field name: the steps that set it}`` of the model, the steps in
        the words of the screens. Each step extends it for its own fields."""
        return {}

    def _write_procedure_facts(self, vals):
        """Write ``vals``, facts included: for the procedure's methods, once
        they checked that the user may take the step."""
        return self.with_context(order_procedure_write=_PROCEDURE_WRITE).write(vals)

    def _create_procedure_facts(self, vals_list):
        """Create records whose values carry facts (see _write_procedure_facts)."""
        return self.with_context(order_procedure_write=_PROCEDURE_WRITE).create(
            vals_list
        )

    def _get_procedure_lang(self):
        """The language of the texts the procedure stores on the records
        (chatter notes, activity notes, the tracking of its scheduled
        actions): their company's, else the current one. The chatter is read
        by everyone; texts that can be worded when read are not stored."""
        company = (
            self.company_id[:1] if "company_id" in self._fields else self.browse()
        ) or self.env.company
        # sudo: the company's language, for whoever's step writes the text.
        return company.sudo().partner_id.lang or self.env.lang or "en_US"

    def _with_procedure_lang(self):
        """The records in the language of the procedure's stored texts."""
        return self.with_context(lang=self._get_procedure_lang())

    def _group_by_procedure_lang(self):
        """``{language: records}`` of the records, by _get_procedure_lang."""
        ids = {}
        for record in self:
            ids.setdefault(record._get_procedure_lang(), []).append(record.id)
        return {lang: self.browse(lang_ids) for lang, lang_ids in ids.items()}

    def _track_in_procedure_lang(self):
        """The tracking of the current transaction (written at its end) is
        worded in each record's company language: for the scheduled actions
        and the automatic steps, whose user's language is nobody's. Odoo
        words tracking in the language of whichever environment computes or
        flushes the change first, which a step does not choose."""
        self.env.cr.precommit.data[_TRACKING_IN_PROCEDURE_LANG] = True

    def _iter_tracking_by_procedure_lang(self):
        """For the models' _track_finalize, which runs Odoo's on each
        recordset yielded: ``self`` as it is, or, in a transaction marked by
        _track_in_procedure_lang, the tracked records by company language, in
        that language, each with its own tracking data."""
        data = self.env.cr.precommit.data
        key = f"mail.tracking.{self._name}"
        if not data.get(_TRACKING_IN_PROCEDURE_LANG) or not data.get(key):
            yield self
            return
        initial_values = data.pop(key)
        records = self.browse(list(initial_values)).exists()
        for lang, group in records._group_by_procedure_lang().items():
            data[key] = {
                record_id: initial_values[record_id] for record_id in group.ids
            }
            yield group.with_context(lang=lang)

    def _lock_procedure_step(self):
        """Take the records' rows before a step of the procedure changes them.
        Two users pressing the same button at once: the second waits for the
        first; as the first changed the rows, the database refuses the second
        transaction's snapshot and Odoo runs that request again, which then
        finds the step done and says so. One effect, whatever the timing."""
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT 1 FROM %s WHERE id IN %s FOR UPDATE",
                    SQL.identifier(self._table),
                    tuple(self.ids),
                )
            )

    def _get_context_defaults(self):
        return {
            key[8:]: value
            for key, value in self.env.context.items()
            if key.startswith("default_")
        }

    def _is_fact_default(self, name, value):
        field = self._fields[name]
        default = field.default(self) if field.default else False
        if isinstance(default, models.BaseModel):
            # A relational default (the current user...) against the id or
            # the commands the caller gave.
            default = default.id if field.type == "many2one" else default.ids
        return (value or False) == (default or False)

    def _check_procedure_facts(self, vals_list, defaults=False):
        if (
            self.env.su
            or self.env.context.get("order_procedure_write") is _PROCEDURE_WRITE
        ):
            return
        facts = self._get_procedure_fact_fields()
        if defaults:
            # A new record may carry a fact at its starting value (forms and
            # clients send the defaults), never another one.
            written = {
                name
                for vals in [*vals_list, self._get_context_defaults()]
                for name, value in vals.items()
                if name in facts and not self._is_fact_default(name, value)
            }
        else:
            written = {name for vals in vals_list for name in vals if name in facts}
        if not written:
            return
        raise AccessError(
            "\n".join(
                self.env._(
                    "%(field)s changes only through %(steps)s.",
                    field=self._fields[name]._description_string(self.env),
                    steps=facts[name],
                )
                for name in sorted(written)
            )
        )
