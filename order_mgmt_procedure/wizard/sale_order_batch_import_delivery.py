"""Batch import of orders, delivery addresses: checked, then found or created."""

from odoo import models
from odoo.exceptions import UserError

from odoo.addons.phone_validation.tools import phone_validation

from ..tools.text import join_items
from .batch_import_cells import DELIVERY_KEYS, ENGLISH_HEADERS, Problem

# The fields of a delivery contact that tell one address from another.
ADDRESS_FIELDS = (
    "name",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "country_id",
    "phone",
)


class SaleOrderBatchImport(models.TransientModel):
    _inherit = "sale.order.batch.import"

    # === BUSINESS METHODS === #

    def _check_delivery(self, orders, columns, lookups, problems):
        """The delivery address of the orders naming one: complete, in a known
        country and state, with a phone valid there. Sets ``order["delivery"]``
        to the values of the delivery contact."""
        for order in orders:
            values = order["values"]
            customer = values.get("customer")
            if not customer or not any(values.get(key) for key in DELIVERY_KEYS):
                continue

            def problem(key, message, order=order):
                row = order["value_rows"].get(key, order["row"])
                problems.append(
                    Problem(row, columns[key][0] if key in columns else None, message)
                )

            self._check_delivery_complete(order, columns, problems)
            country = self._delivery_country(values, lookups["countries"], problem)
            state, street2 = self._delivery_state(
                values, country, lookups["states"], problem
            )
            self._check_delivery_phone(values.get("delivery_phone"), country, problem)
            order["delivery"] = self._prepare_delivery_contact_vals(
                values, country, state, street2
            )

    def _check_delivery_complete(self, order, columns, problems):
        missing = [
            columns[key][1] if key in columns else ENGLISH_HEADERS[key]
            for key in ("delivery_name", "delivery_street", "delivery_city")
            if not order["values"].get(key)
        ]
        if missing:
            problems.append(
                Problem(
                    order["row"],
                    None,
                    self.env._(
                        "order %(ref)s names a delivery address but %(missing)s "
                        "is empty; give the contact, the address and the city, "
                        "or leave all delivery columns empty.",
                        ref=order["ref"],
                        missing=join_items(self.env, missing),
                    ),
                )
            )

    def _delivery_country(self, values, countries, problem):
        """The country named, else the customer's, else the company's."""
        if not values.get("delivery_country"):
            return values["customer"].country_id or self.company_id.country_id
        country = self._match_country(countries, values["delivery_country"])
        if not country:
            problem(
                "delivery_country",
                self.env._(
                    "no country has the code or name %(value)s.",
                    value=f'"{values["delivery_country"]}"',
                ),
            )
        return country

    def _delivery_state(self, values, country, states, problem):
        """``(state, street2)``: the state named, or its text as the second
        address line where Odoo knows no states of the country."""
        state = self.env["res.country.state"]
        name = values.get("delivery_state")
        if not (name and country):
            return state, False
        country_states = states.filtered(lambda s: s.country_id == country)
        if not country_states:
            return state, name
        state = self._match_state(country_states, name)
        if not state:
            problem(
                "delivery_state",
                self.env._(
                    "%(country)s has no province or state %(value)s.",
                    country=country.name,
                    value=f'"{name}"',
                ),
            )
        return state, False

    def _check_delivery_phone(self, phone, country, problem):
        if not (phone and country):
            return
        try:
            phone_validation.phone_parse(phone, country.code)
        except UserError:
            problem(
                "delivery_phone",
                self.env._(
                    "%(phone)s is not a valid phone number in %(country)s.",
                    phone=f'"{phone}"',
                    country=country.name,
                ),
            )

    def _prepare_delivery_contact_vals(self, values, country, state, street2):
        return {
            "parent_id": values["customer"].id,
            "type": "delivery",
            "name": values.get("delivery_name"),
            "street": values.get("delivery_street"),
            "street2": street2,
            "city": values.get("delivery_city"),
            "zip": values.get("delivery_zip") or False,
            "state_id": state.id or False,
            "country_id": country.id or False,
            "phone": values.get("delivery_phone") or False,
        }

    def _delivery_contacts(self, orders):
        """``{external reference: delivery contact}`` for the orders naming a
        delivery address: the customer's existing delivery contact with the
        same details, else a new one."""
        wanted = {
            order["ref"]: order
            for order in orders
            if any(order["values"].get(key) for key in DELIVERY_KEYS)
        }
        if not wanted:
            return {}
        by_key = self._existing_delivery_contacts(
            self.env["res.partner"].union(
                *(order["values"]["customer"] for order in wanted.values())
            )
        )
        result = {}
        to_create = {}
        for ref, order in wanted.items():
            vals = order["delivery"]
            key = self._address_key(order["values"]["customer"], vals)
            if key in by_key:
                result[ref] = by_key[key]
            else:
                to_create.setdefault(key, vals)
                result[ref] = key
        if to_create:
            # sudo: taking an order includes recording where it goes; receivers
            # have no right to create contacts in general, and only delivery
            # addresses of the customers found above are created.
            created = self.env["res.partner"].sudo().create(list(to_create.values()))
            created_by_key = dict(
                zip(to_create, created.with_env(self.env), strict=True)
            )
            result = {
                ref: created_by_key.get(value, value)
                if isinstance(value, tuple)
                else value
                for ref, value in result.items()
            }
        return result

    def _existing_delivery_contacts(self, customers):
        """``{address key: contact}`` of the customers' delivery contacts."""
        existing = self.env["res.partner"].search_fetch(
            [("parent_id", "in", customers.ids), ("type", "=", "delivery")],
            ["parent_id", *ADDRESS_FIELDS],
        )
        return {
            self._address_key(contact.parent_id, contact): contact
            for contact in existing
        }

    @staticmethod
    def _address_key(customer, contact):
        """What makes two delivery contacts of a customer the same, from a
        contact or from its values."""

        def get(name):
            value = (
                contact[name] if not isinstance(contact, dict) else contact.get(name)
            )
            if isinstance(value, models.BaseModel):
                value = value.id
            return (value or "").lower() if isinstance(value, str) else (value or False)

        return (customer.id, *(get(name) for name in ADDRESS_FIELDS))
