"""Orders by e-mail (reception, channel E-mail): the company's order alias
turns an incoming e-mail into a quotation in Received, or imports the order
files in the batch import template it carries; what cannot become orders is
answered to the sender or noted for the receivers, never half-made.

The gateway routes an e-mail to the alias; ``_message_route_process`` (on
mail.thread) hands the e-mail to ``sale.order._receive_order_email`` before
Odoo creates anything. That decides, creates the orders as the receiver who
takes them, and either lets Odoo go on (``message_new`` then returns the
orders made, and Odoo posts the e-mail and its attachments on them) or drops
the route after answering the sender or noting the receivers.
"""

import base64
import logging
from email.utils import formataddr

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import email_normalize, html2plaintext, plaintext2html

from ..tools.assignment import pick_assignees

_logger = logging.getLogger(__name__)

INTAKE_ACTIVITY = "order_mgmt_procedure.mail_activity_type_order_email"
SPREADSHEET_EXTENSIONS = ("xlsx", "xlsm", "xls", "csv")
# Addresses at these domains belong to people, not to a company: a sender is
# never matched to a customer by them.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "126.com",
        "139.com",
        "163.com",
        "188.com",
        "21cn.com",
        "aliyun.com",
        "aol.com",
        "foxmail.com",
        "gmail.com",
        "gmx.com",
        "gmx.de",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "sina.cn",
        "sina.com",
        "sohu.com",
        "tom.com",
        "vip.163.com",
        "vip.qq.com",
        "vip.sina.com",
        "wo.cn",
        "yahoo.com",
        "yahoo.com.cn",
        "yandex.ru",
        "yeah.net",
    }
)
# Precedence values of mass and automatic mail (RFC 3834, 2076).
IGNORED_PRECEDENCE = ("bulk", "junk", "list", "auto_reply")
IGNORED_SENDERS = ("mailer-daemon", "postmaster")


def attachment_bytes(attachment):
    """The content of a parsed attachment as bytes: Odoo's parser gives text
    parts (a .csv sent as text/csv) as text, decoded by their charset."""
    content = attachment[1] or b""
    return content.encode("utf-8") if isinstance(content, str) else content


def automatic_kind(message, email_from):
    """How automatic an incoming e-mail is: 'ignore' for the answers of
    robots (out-of-office and other auto-replies, delivery reports, mass
    mail), which never become orders; 'no_reply' for other automatic mail
    (an ERP's generated purchase order), which may become orders but is never
    answered (RFC 3834); '' for mail written by a person."""
    auto_submitted = (message.get("Auto-Submitted") or "").split(";")[0]
    auto_submitted = auto_submitted.strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    localpart = (email_normalize(email_from) or "").split("@")[0]
    if (
        auto_submitted == "auto-replied"
        or message.get("X-Autoreply")
        or message.get("X-Autorespond")
        or precedence in IGNORED_PRECEDENCE
        or (message.get("Return-Path") or "").strip() == "<>"
        or localpart in IGNORED_SENDERS
    ):
        return "ignore"
    if auto_submitted and auto_submitted != "no":
        return "no_reply"
    return ""


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _message_route_process(self, message, message_dict, routes):
        SaleOrder = self.env["sale.order"]
        other_routes, thread_id = [], False
        for route in routes or ():
            model, route_thread_id, __, __, alias = route
            company = (
                model == "sale.order"
                and not route_thread_id
                and alias
                and SaleOrder._get_order_alias_company(alias)
            )
            if not company:
                other_routes.append(route)
                continue
            orders = SaleOrder._receive_order_email(message, message_dict, company)
            if not orders:
                # Answered or noted: Odoo has nothing to create or post.
                continue
            # A copy: Odoo's processing takes values out of the dict.
            thread_id = super(
                MailThread,
                self.with_context(order_mail_intake_order_ids=tuple(orders.ids)),
            )._message_route_process(message, dict(message_dict), [route])
        if other_routes or not routes:
            thread_id = super()._message_route_process(
                message, message_dict, other_routes
            )
        return thread_id


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # === MAIL GATEWAY === #

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # The orders were made by _receive_order_email: the e-mail and its
        # attachments are posted on the first.
        order_ids = self.env.context.get("order_mail_intake_order_ids")
        if order_ids:
            return self.browse(order_ids[0])
        return super().message_new(msg_dict, custom_values=custom_values)

    @api.model
    def _detect_loop_sender_domain(self, email_from_normalized):
        # Odoo's loop protection: too many orders by e-mail from one address
        # in a short time and the next e-mails are ignored.
        return [
            ("order_channel", "=", "email"),
            ("partner_id.email_normalized", "=", email_from_normalized),
        ]

    @api.model
    def _get_order_alias_company(self, alias):
        """The company whose order alias ``alias`` is, if any."""
        # sudo: the gateway's user may not read every company.
        return (
            self.env["res.company"]
            .sudo()
            .search([("order_mail_alias_id", "=", alias.id)], limit=1)
        )

    @api.model
    def _receive_order_email(self, message, message_dict, company):
        """The orders made of an e-mail to ``company``'s order alias (none
        when it is answered, noted for the receivers or ignored)."""
        orders = self.browse()
        email_from = message_dict.get("email_from") or ""
        kind = automatic_kind(message, email_from)
        if kind == "ignore":
            _logger.info(
                "Order e-mail %s from %s ignored: automatic reply or report.",
                message_dict.get("message_id"),
                email_from,
            )
            return orders
        intake = _EmailIntake(self.env, message_dict, company, reply=not kind)
        if not intake.receiver:
            _logger.warning(
                "Order e-mail %s from %s: no order receiver of %s may take it; "
                "nothing was created.",
                message_dict.get("message_id"),
                email_from,
                company.name,
            )
            return orders
        return intake.run()

    @api.model
    def _pick_intake_receiver(self, customer, company, activity_xmlid):
        """The receiver who takes orders of ``customer`` arriving by themselves
        (e-mail, portal upload): the customer's salesperson when a receiver,
        else the least busy receiver who may make the customer's orders (see
        tools.assignment)."""
        salesperson = customer.user_id or customer.commercial_partner_id.user_id

        def may_take(company, user):
            if company not in user.company_ids:
                return False
            # Odoo's own rule: salespeople make orders for their customers
            # or customers without a salesperson.
            return (
                not salesperson
                or user == salesperson
                or user.has_group("sales_team.group_sale_salesman_all_leads")
            )

        assignees = pick_assignees(
            company,
            "order_mgmt_procedure.group_order_receiver",
            activity_xmlid,
            may_take=may_take,
            get_leader=lambda company: salesperson,
        )
        return assignees.get(company, self.env["res.users"])

    def _get_email_reception_note(self):
        """The note of the receivers' activity on an order made of an e-mail."""
        self.ensure_one()
        return self.env._(
            "Key in the order from the e-mail below: products, quantities, "
            "delivery address."
        )


class _EmailIntake:
    """One incoming e-mail to an order alias, from its sender to its orders."""

    def __init__(self, env, message_dict, company, reply):
        self.env = env
        self.company = company
        self.message_dict = message_dict
        self.email_from = message_dict.get("email_from") or ""
        self.email = email_normalize(self.email_from) or ""
        self.subject = (message_dict.get("subject") or "").strip()
        self.attachments = message_dict.get("attachments") or []
        self.body_text = html2plaintext(message_dict.get("body") or "").strip()
        # sudo: as _find_customer, the companies' and employees' contacts.
        self.own_partners = (
            env["res.company"].sudo().search([]).partner_id
            | env["res.users"].sudo().search([("share", "=", False)]).partner_id
        )
        self.customer, self.matched_domain = self._find_customer()
        self.receiver = self._pick_receiver()
        self.may_reply = reply and bool(self.customer)
        company_lang = company.partner_id.lang or "en_US"
        self.receiver_env = env(
            context=dict(env.context, lang=self.receiver.lang or company_lang)
        )
        lang = (
            self.customer.lang
            or self.customer.commercial_partner_id.lang
            or company_lang
        )
        # What stops the e-mail is worded for the sender when they are
        # answered, else for the receiver who is told instead.
        self.sender_env = (
            env(context=dict(env.context, lang=lang))
            if self.may_reply
            else self.receiver_env
        )

    # === WHO === #

    def _find_customer(self):
        """The customer of the sender: the contact with the sender's address,
        else the one company with contacts at the sender's domain (never at a
        public mail provider's). Returns (partner, matched domain or '')."""
        # sudo: the gateway's user (OdooBot, or an internal user writing to
        # the alias) looks the sender up among every contact of the company.
        Partner = self.env["res.partner"].sudo()
        if not self.email or "@" not in self.email:
            return Partner, ""
        company_domain = [("company_id", "in", [False, self.company.id])]
        contacts = Partner.search(
            [("email_normalized", "=", self.email), *company_domain],
            order="customer_rank desc, is_company desc, id",
        )
        contacts = contacts.filtered(self._may_be_customer)
        if contacts:
            return contacts[0], ""
        domain = self.email.split("@", 1)[1]
        if domain in PUBLIC_MAIL_DOMAINS:
            return Partner, ""
        pattern = "%@" + domain.replace("\\", "\\\\").replace("%", r"\%").replace(
            "_", r"\_"
        )
        companies = (
            Partner.search([("email_normalized", "=like", pattern), *company_domain])
            .filtered(self._may_be_customer)
            .commercial_partner_id
        )
        if len(companies) != 1:
            # None, or several companies share the domain: not guessed.
            return Partner, ""
        return companies, domain

    def _may_be_customer(self, partner):
        """Not the company's own people: an employee writing (or forwarding
        a customer's e-mail) to the alias is no customer, nor is the company
        itself; their e-mails are noted for the receivers."""
        return (
            partner not in self.own_partners
            and partner.commercial_partner_id not in self.own_partners
        )

    def _pick_receiver(self):
        return self.env["sale.order"]._pick_intake_receiver(
            self.customer, self.company, INTAKE_ACTIVITY
        )

    # === WHAT === #

    def run(self):
        SaleOrder = self.env["sale.order"].browse()
        if not self.customer:
            # Not answered: an automatic answer to an unknown address (spam,
            # a forged sender) is what a mail server must not send. A
            # receiver reads it and contacts the sender if it is an order.
            self._note_receivers(
                self.receiver_env._(
                    "The sender's address is not one of a customer's, not even by "
                    "its company's domain: no order was created. If it is an "
                    "order, create the customer (or add this address to its "
                    "contacts) and the quotation."
                ),
                with_attachments=True,
            )
            return SaleOrder
        too_large = self._too_large_attachments()
        if too_large:
            self._refuse(
                [
                    self.sender_env._(
                        "%(file)s is %(size).1f MB; files of at most %(max)s MB are "
                        "accepted.",
                        file=name,
                        size=size / 1024 / 1024,
                        max=self.company.batch_import_max_size_mb,
                    )
                    for name, size in too_large
                ],
                with_attachments=False,
            )
            return SaleOrder
        if not self.body_text and not self.attachments:
            self._refuse(
                [
                    self.sender_env._(
                        "The e-mail has no text and no file. Write the order in the "
                        "e-mail (products, quantities, delivery address) or attach "
                        "it in our order template."
                    )
                ],
                with_attachments=False,
            )
            return SaleOrder
        files = [
            attachment
            for attachment in self.attachments
            if attachment[0].rsplit(".", 1)[-1].lower() in SPREADSHEET_EXTENSIONS
        ]
        if files:
            return self._import_files(files)
        return self._create_quotation()

    def _too_large_attachments(self):
        max_bytes = self.company.batch_import_max_size_mb * 1024 * 1024
        return [
            (attachment[0], len(attachment_bytes(attachment)))
            for attachment in self.attachments
            if len(attachment_bytes(attachment)) > max_bytes
        ]

    def _received_date(self):
        """When the e-mail was sent (its Date), at the latest now."""
        now = fields.Datetime.now()
        date = self.message_dict.get("date")
        date = fields.Datetime.to_datetime(date) if date else now
        return min(date, now)

    def _receiver_env(self):
        # The receiver makes the orders with their own rights, in the alias's
        # company: they are the orders' creator and the receiving user.
        return self.env(
            user=self.receiver,
            su=False,
            context=dict(
                self.env.context,
                allowed_company_ids=[self.company.id],
                lang=self.receiver.lang,
            ),
        )

    def _create_quotation(self):
        env = self._receiver_env()
        order = env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "order_channel": "email",
                "received_date": self._received_date(),
                "origin": self.subject[:100] or False,
            }
        )
        note = order._get_email_reception_note()
        if self.matched_domain:
            note = self._domain_note(env) + " " + note
        self._schedule_activity(order, note)
        return order

    def _domain_note(self, env):
        return env._(
            "The customer was found by the domain of the sender's address "
            "(%(domain)s), not by the address itself: check that %(sender)s "
            "orders for %(customer)s.",
            domain=self.matched_domain,
            sender=self.email,
            customer=self.customer.display_name,
        )

    def _schedule_activity(self, order, note):
        # Quick update: no assignment e-mail; the receiver's queue is the
        # activities (and the e-mail posted on the order, which they follow).
        order.with_context(mail_activity_quick_update=True).activity_schedule(
            INTAKE_ACTIVITY,
            user_id=self.receiver.id,
            note=plaintext2html(note),
        )

    def _import_files(self, files):
        """The orders of the files, through the batch import with every check,
        all files or none; a refusal answers the sender with the reports."""
        env = self._receiver_env()
        # The problems are worded for the sender; the files are imported here,
        # never as a background job: all of them or none, in the mail
        # gateway's own transaction (not an HTTP request's).
        Import = env["sale.order.batch.import"].with_context(
            lang=self.sender_env.lang, batch_import_synchronous=True
        )
        SaleOrder = env["sale.order"]
        refusals, orders = [], SaleOrder
        try:
            with env.cr.savepoint():
                for attachment in files:
                    name = attachment[0]
                    wizard = Import.create(
                        {
                            "file": base64.b64encode(attachment_bytes(attachment)),
                            "filename": name,
                            "company_id": self.company.id,
                        }
                    )
                    try:
                        with env.cr.savepoint():
                            wizard.action_import()
                            self._check_file_customers(wizard.order_ids)
                    except UserError as error:
                        refusals.append((name, error.args[0]))
                        continue
                    orders |= wizard.order_ids
                if refusals:
                    raise _Refused
        except _Refused:
            env.invalidate_all()
            self._refuse(
                [
                    self.sender_env._("%(file)s:\n%(report)s", file=name, report=report)
                    for name, report in refusals
                ],
                with_attachments=True,
                template=True,
            )
            return SaleOrder
        orders = orders.with_env(env)
        orders.write({"received_date": self._received_date()})
        first = orders[0]
        # The translated sentence is markup, its values are escaped into it.
        imported = Markup(
            env._(
                "Imported from %(file)s, e-mailed by %(sender)s with %(order)s "
                "(the e-mail is on that order)."
            )
        )
        for order in orders[1:]:
            order.message_post(
                body=imported
                % {
                    "file": order.origin or "",
                    "sender": self.email,
                    "order": first._get_html_link(),
                },
                subtype_xmlid="mail.mt_note",
            )
        note = env._(
            "Check the orders imported from the e-mail's files: %(orders)s.",
            orders=", ".join(orders.mapped("name")),
        )
        if self.matched_domain:
            note = self._domain_note(env) + " " + note
        self._schedule_activity(first, note)
        return first | orders

    def _check_file_customers(self, orders):
        """An e-mail brings orders of its sender's company only (as a portal
        upload does)."""
        own = self.customer.commercial_partner_id
        others = orders.filtered(lambda o: o.partner_id.commercial_partner_id != own)
        if others:
            raise UserError(
                "\n".join(
                    [
                        self.sender_env._("Nothing was imported:"),
                        *(
                            self.sender_env._(
                                "Order %(ref)s is for %(customer)s: an e-mail from "
                                "%(sender)s can only bring orders of %(own)s.",
                                ref=order.client_order_ref,
                                customer=order.partner_id.commercial_partner_id.name,
                                sender=self.email,
                                own=own.name,
                            )
                            for order in others
                        ),
                    ]
                )
            )

    # === ANSWERS === #

    def _refuse(self, reasons, with_attachments, template=False):
        """Answer the sender why nothing was created, or, where an automatic
        e-mail must not be answered, note it for the receivers."""
        if not self.may_reply:
            self._note_receivers(
                self.receiver_env._(
                    "No order was created from this e-mail (an automatic e-mail, "
                    "not answered):\n%(reasons)s",
                    reasons="\n".join(reasons),
                ),
                with_attachments=with_attachments,
            )
            return
        self._reply(reasons, template)

    def _reply(self, reasons, template):
        env = self.sender_env
        alias = self.company.order_mail_alias_id
        alias_email = alias.alias_full_name or self.company.email or ""
        intro = env._(
            "We received your e-mail %(subject)s but could not take it as an "
            "order; nothing was created:",
            subject=f"“{self.subject}”" if self.subject else "",
        )
        outro = env._(
            "Correct it and send it again to this address, or call us. This "
            "message was written automatically."
        )
        body = Markup("").join(
            [
                plaintext2html(intro),
                *(plaintext2html(reason) for reason in reasons),
                plaintext2html(outro),
            ]
        )
        attachments = []
        if template:
            # The template in the sender's language, to start from.
            wizard = env["sale.order.batch.import"].new({"company_id": self.company.id})
            attachments.append(
                Command.create(
                    {
                        "name": wizard.template_filename,
                        "datas": wizard.template_file,
                    }
                )
            )
        message_id = self.message_dict.get("message_id")
        # sudo: the gateway's user (OdooBot) may not write mail.mail; the
        # answer goes to the sender only, with the headers that stop
        # automatic answers to it (RFC 3834, and Exchange's own).
        self.env["mail.mail"].sudo().create(
            {
                "subject": env._("Re: %(subject)s", subject=self.subject)
                if self.subject
                else env._("Your e-mail order"),
                "body_html": body,
                "email_from": formataddr((self.company.name, alias_email)),
                "reply_to": alias_email,
                "email_to": self.email_from,
                "auto_delete": True,
                "references": message_id,
                "headers": repr(
                    {
                        "Auto-Submitted": "auto-replied",
                        "X-Auto-Response-Suppress": "All",
                        "In-Reply-To": message_id,
                    }
                ),
                "attachment_ids": attachments,
            }
        )

    def _note_receivers(self, reason, with_attachments):
        """The e-mail with ``reason``, in the receiver's Inbox."""
        env = self.receiver_env
        header = env._(
            "E-mail to the order address %(alias)s from %(sender)s, subject "
            "%(subject)s, received %(date)s.",
            alias=self.company.order_mail_alias_id.alias_full_name or "",
            sender=self.email_from,
            subject=f"“{self.subject}”",
            date=self.message_dict.get("date") or "",
        )
        body = Markup("").join(
            [
                plaintext2html(reason),
                plaintext2html(header),
                Markup("<blockquote>%s</blockquote>")
                % Markup(self.message_dict.get("body") or ""),
            ]
        )
        attachments = [
            tuple(attachment[:2]) for attachment in self.attachments if with_attachments
        ]
        # sudo: as the gateway posts incoming e-mail; the note is for the
        # receiver only (no document: nothing was created).
        env["mail.thread"].sudo().message_notify(
            partner_ids=self.receiver.partner_id.ids,
            subject=env._(
                "E-mail not turned into an order: %(subject)s", subject=self.subject
            ),
            body=body,
            attachments=attachments,
            author_id=self.env.ref("base.partner_root").id,
            subtype_xmlid="mail.mt_note",
        )


class _Refused(Exception):
    """One file of the e-mail was refused: the files' orders are undone."""
