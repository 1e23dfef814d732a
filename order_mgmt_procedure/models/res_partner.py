from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.mail import single_email_re

from odoo.addons.phone_validation.tools import phone_validation

from ..tools.text import join_items

# What the receivers' right on contacts leaves to those who manage contacts:
# the customer grade (tags: the priority rules read it), removing a contact
# (archiving as well as deleting) and a vendor's qualification.
CONTACT_MANAGER_FIELDS = (
    "category_id",
    "active",
    "supplier_qualified",
    "supplier_qualification_expiry",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # === FIELDS === #

    supplier_qualified = fields.Boolean(
        string="Qualified Supplier",
        tracking=True,
        help="The vendor meets the company's supplier standards (qualification, "
        "quality). Purchases need a qualified vendor when the company says so.",
    )
    supplier_qualification_expiry = fields.Date(
        string="Qualification Valid Until",
        tracking=True,
        help="Last day the qualification is valid; empty for no expiry.",
    )

    portal_order_upload = fields.Boolean(
        tracking=True,
        help="The customer's portal users upload their own order files in My "
        "Orders > Import Orders (as distributors with a grade chosen in "
        "Settings do). Set on the company: its contacts follow it.",
    )

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_portal_upload_write(vals, create=True)
        partners = super().create(vals_list)
        if self._edits_contacts_as_receiver():
            partners._check_receiver_fields(
                {
                    name
                    for name in CONTACT_MANAGER_FIELDS
                    for partner in partners
                    if bool(partner[name]) != (name == "active")
                }
            )
        return partners

    def write(self, vals):
        self._check_portal_upload_write(vals)
        if self._edits_contacts_as_receiver():
            self._check_receiver_fields(set(vals) & set(CONTACT_MANAGER_FIELDS))
            self._check_receiver_contacts()
        if "category_id" not in vals:
            return super().write(vals)
        # A new customer grade can change the priority of open orders, and
        # their deliveries follow. sudo: every open order of the customer,
        # whoever edits the tags.
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", self.commercial_partner_id.ids),
                    (
                        "procedure_stage",
                        "not in",
                        ("shipped", "completed", "cancelled"),
                    ),
                ]
            )
        )
        with orders._syncing_delivery_priority():
            return super().write(vals)

    # === BUSINESS METHODS === #

    def _is_qualified_supplier(self, date=None):
        """Whether the vendor (its company) holds a valid qualification."""
        self.ensure_one()
        vendor = self.commercial_partner_id
        date = date or fields.Date.context_today(self)
        return vendor.supplier_qualified and (
            not vendor.supplier_qualification_expiry
            or vendor.supplier_qualification_expiry >= date
        )

    # === BUSINESS METHODS: receivers' contacts === #

    @api.model
    def _edits_contacts_as_receiver(self):
        """Whether the user edits contacts only through the order receivers'
        right (customers and their addresses, for the intake), not through a
        right of Odoo's (Contacts, Sales or Purchase managers...)."""
        if self.env.su or not self.env.user.has_group(
            "order_mgmt_procedure.group_order_receiver"
        ):
            return False
        receiver_access = self.env.ref(
            "order_mgmt_procedure.access_res_partner_order_receiver",
            raise_if_not_found=False,
        )
        # sudo: the access rights are configuration a receiver may not read.
        return not (
            self.env["ir.model.access"]
            .sudo()
            .search_count(
                [
                    ("model_id.model", "=", "res.partner"),
                    ("perm_write", "=", True),
                    ("group_id", "in", self.env.user._get_group_ids()),
                    ("id", "!=", receiver_access.id if receiver_access else 0),
                ],
                limit=1,
            )
        )

    def _check_receiver_fields(self, fnames):
        """Receivers create and correct customers and delivery addresses;
        ``fnames`` (of CONTACT_MANAGER_FIELDS) stay with whoever manages
        contacts."""
        if not fnames:
            return
        raise AccessError(
            self.env._(
                "Order receivers create and correct customers and their "
                "addresses; ask a contact manager to change %(fields)s.",
                fields=join_items(
                    self.env,
                    [
                        self._fields[name]._description_string(self.env)
                        for name in sorted(fnames)
                    ],
                ),
            )
        )

    def _check_receiver_contacts(self):
        """The companies' own contacts (their address on every document) stay
        with whoever manages contacts."""
        # sudo: a receiver may not read every company.
        companies = (
            self.env["res.company"].sudo().search([("partner_id", "in", self.ids)])
        )
        if companies:
            raise AccessError(
                self.env._(
                    "%(contacts)s is the contact of a company of the database: "
                    "only contact managers change it.",
                    contacts=join_items(
                        self.env, companies.partner_id.mapped("display_name")
                    ),
                )
            )

    # === BUSINESS METHODS: intake === #

    def _is_address_incomplete(self):
        """Whether the intake's completeness check refuses this delivery
        address: street, city, country, and the ZIP where the country needs it."""
        self.ensure_one()
        return not (
            self.street
            and self.city
            and self.country_id
            and (self.zip or not self.country_id.zip_required)
        )

    def _has_malformed_contact_details(self, country=None):
        """Whether the phone or e-mail is one the intake's format check refuses."""
        self.ensure_one()
        if self.email and not single_email_re.match(self.email.strip()):
            return True
        if not self.phone:
            return False
        try:
            phone_validation.phone_parse(self.phone, (self.country_id or country).code)
        except UserError:
            return True
        return False

    # === BUSINESS METHODS: portal upload === #

    @api.model
    def _check_portal_upload_write(self, vals, create=False):
        """Who lets a customer upload orders on the portal: sales managers and
        procedure managers, not every user who edits contacts."""
        given = (
            vals.get("portal_order_upload") if create else "portal_order_upload" in vals
        )
        if not given or self.env.su:
            return
        user = self.env.user
        if user.has_group("sales_team.group_sale_manager") or user.has_group(
            "order_mgmt_procedure.group_procedure_manager"
        ):
            return
        raise AccessError(
            self.env._(
                "Only sales managers and procedure managers decide which "
                "customers upload orders on the portal."
            )
        )

    def _can_upload_portal_orders(self, company):
        """Whether the contact's company is a distributor of ``company``: its
        Portal Order Upload box is ticked, or it has one of the company's
        Distributor Grades."""
        self.ensure_one()
        # sudo: the grades and the box are the company's configuration, which
        # the portal user asking may not read; only yes or no comes out.
        commercial = self.sudo().commercial_partner_id
        return bool(
            commercial.active
            and (
                commercial.portal_order_upload
                or commercial.category_id & company.sudo().portal_upload_category_ids
            )
        )
