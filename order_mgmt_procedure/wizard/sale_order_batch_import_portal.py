"""Batch import of orders, portal: a distributor's portal user uploads their
own file (My Orders > Import Orders), checked as the back office's import,
limited to the orders of their own company.

The portal user has no right on the wizard nor on orders: the entry points
check that the user may upload, then run the wizard as superuser (the user
stays the uploader) in portal mode (``batch_import_portal`` in the context),
where every customer of the file must be the user's company or one of its
contacts, an empty customer cell meaning their company. Portal mode is read by
``_portal_customer`` only, from the user, never from a value of the request.
"""

import base64

from odoo import api, models
from odoo.exceptions import AccessError


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS: portal entry points === #

    @api.model
    def _portal_upload_allowed(self, user=None):
        """Whether ``user`` (the current one) uploads orders on the portal: a
        portal user whose company is a distributor of their company."""
        user = user or self.env.user
        return bool(
            user._is_portal()
            and user.partner_id._can_upload_portal_orders(user.company_id)
        )

    @api.model
    def _check_portal_upload_allowed(self):
        if not self._portal_upload_allowed():
            raise AccessError(
                self.env._(
                    "Only the portal users of distributors upload order files on "
                    "the portal."
                )
            )

    @api.model
    def _portal_wizard(self, values=None, new=False):
        """The wizard in portal mode for the current (checked) portal user;
        ``new``: not saved (for the template)."""
        self._check_portal_upload_allowed()
        user = self.env.user
        # sudo: portal users have no right on the import nor on orders. The
        # user was checked above, and in portal mode the wizard checks it again
        # and limits the file's orders to the user's own company.
        Import = self.sudo().with_context(
            batch_import_portal=True,
            # Synchronous: the distributor sees the orders or the report at
            # once, within the company's limits of lines and size.
            batch_import_synchronous=True,
            lang=self.env.lang or user.lang,
        )
        values = {"company_id": user.company_id.id, **(values or {})}
        return Import.new(values) if new else Import.create(values)

    @api.model
    def _get_portal_template(self):
        """``(file name, content)`` of the template for the portal user, in
        their language, its example made with their own company."""
        wizard = self._portal_wizard(new=True)
        return wizard.template_filename, base64.b64decode(wizard.template_file)

    @api.model
    def _import_portal_file(self, filename, content):
        """Import a file uploaded on the portal by the current portal user:
        all its orders, in Received, or a UserError with the row-by-row
        report. Returns the orders (as the portal user)."""
        wizard = self._portal_wizard(
            {"file": base64.b64encode(content or b""), "filename": filename}
        )
        with self.env.cr.savepoint():
            wizard._import_file()
            orders = wizard.order_ids
            orders._hand_over_portal_upload(wizard.filename or "")
        return orders.with_env(self.env)

    # === BUSINESS METHODS: portal mode === #

    def _portal_customer(self):
        """In portal mode, the company of the portal user importing: the only
        customer of the file. Else an empty recordset."""
        if not self.env.context.get("batch_import_portal"):
            return self.env["res.partner"]
        return self.env.user.partner_id.commercial_partner_id

    def _check_import_access(self):
        if not self.env.context.get("batch_import_portal"):
            return super()._check_import_access()
        # Checked again here: the wizard runs as superuser in portal mode.
        return self._check_portal_upload_allowed()

    def _lookup_partners(self, names):
        partners = super()._lookup_partners(names)
        customer = self._portal_customer()
        if not customer:
            return partners
        # As superuser, found among all contacts: only the user's company's
        # may be named (nor told apart from an unknown one).
        return partners.filtered(lambda p: p.commercial_partner_id == customer)

    def _lookup_products(self, codes):
        products = super()._lookup_products(codes)
        if not self._portal_customer():
            return products
        # As superuser: not the products of the database's other companies.
        return products.filtered(
            lambda p: not p.company_id or p.company_id == self.company_id
        )

    def _check_row(self, row, columns, lookups, orders, problems):
        customer = self._portal_customer()
        ref = row.values.get("ref")
        if (
            customer
            and ref
            and ref not in orders
            and not row.values.get("customer")
            and "customer" not in row.errors
        ):
            # An order of the user's own company: its customer cell may be
            # left empty.
            row.values["customer"] = customer
        return super()._check_row(row, columns, lookups, orders, problems)

    def _resolve_customer(self, row, lookups, problem):
        customer = self._portal_customer()
        value = row.values.get("customer")
        if not customer or not value:
            return super()._resolve_customer(row, lookups, problem)
        if isinstance(value, models.BaseModel):
            return value
        matches = lookups["customer_matches"]
        if value not in matches:
            matches[value] = self._find_customer(value, lookups["partners"])
        found, ambiguous = matches[value]
        if found or ambiguous:
            return super()._resolve_customer(row, lookups, problem)
        problem(
            "customer",
            self.env._(
                "%(value)s is not %(company)s nor one of its contacts: on the "
                "portal you import the orders of your own company only. Leave "
                "the cell empty for an order of %(company)s.",
                value=f'"{value}"',
                company=customer.name,
            ),
        )
        return found

    def _prepare_order_vals(self, *args, **kwargs):
        vals = super()._prepare_order_vals(*args, **kwargs)
        if self._portal_customer():
            vals["batch_import_uploaded_by_id"] = self.env.uid
        return vals

    # TEMPLATE #

    def _template_example(self):
        example = super()._template_example()
        customer = self._portal_customer()
        if customer:
            # The user's own company, never another customer of the database.
            example[0]["customer"] = customer.ref or customer.vat or customer.name
        return example

    def _is_template_column_required(self, column):
        # On the portal an empty customer cell is the user's own company.
        if column.key == "customer" and self._portal_customer():
            return False
        return super()._is_template_column_required(column)

    def _column_descriptions(self):
        descriptions = super()._column_descriptions()
        customer = self._portal_customer()
        if customer:
            descriptions["customer"] = self.env._(
                "Leave it empty for an order of %(company)s, or give the "
                "internal reference, tax ID or exact name of %(company)s or of "
                "one of its contacts. Orders of other customers are refused.",
                company=customer.name,
            )
        return descriptions
