import base64

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class OrderProcedurePortal(CustomerPortal):
    def _order_procedure_check_access(self, order_id, access_token):
        try:
            return self._document_check_access("sale.order", order_id, access_token)
        except (AccessError, MissingError):
            return None

    def _order_procedure_redirect(self, order_sudo, access_token, **params):
        query = {"access_token": access_token} if access_token else {}
        query.update(params)
        return request.redirect(
            order_sudo.get_portal_url(
                query_string="&" + "&".join(f"{k}={v}" for k, v in query.items())
                if query
                else None,
                anchor="order_procedure_tracking",
            )
        )

    @http.route(
        "/my/orders/<int:order_id>/sign_off",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_order_sign_off(self, order_id, access_token=None, **kw):
        order_sudo = self._order_procedure_check_access(order_id, access_token)
        if not order_sudo:
            return request.redirect("/my")
        try:
            # The access check above is the customer's proof of identity.
            order_sudo._sign_off(order_sudo.partner_id)
        except UserError:
            return self._order_procedure_redirect(
                order_sudo, access_token, order_procedure_error="sign_off"
            )
        return self._order_procedure_redirect(
            order_sudo, access_token, order_procedure_message="signed_off"
        )

    @http.route(
        "/my/orders/<int:order_id>/abnormal_receipt",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_order_abnormal_receipt(
        self, order_id, access_token=None, reason="", request_type="exchange", **kw
    ):
        order_sudo = self._order_procedure_check_access(order_id, access_token)
        if not order_sudo:
            return request.redirect("/my")
        files = request.httprequest.files.getlist("evidence")
        # sudo: the customer proved access to the order; the attachments and the
        # request are the procedure's records of their report.
        attachments = request.env["ir.attachment"].sudo()
        for upload in files:
            if not upload.filename:
                continue
            attachments |= attachments.create(
                {
                    "name": upload.filename,
                    "datas": base64.b64encode(upload.read()),
                    "mimetype": upload.mimetype,
                    "res_model": "order.abnormal.receipt.wizard",
                }
            )
        wizard = (
            request.env["order.abnormal.receipt.wizard"]
            .sudo()
            .create(
                {
                    "order_id": order_sudo.id,
                    "reason": reason,
                    "request_type": request_type
                    if request_type in ("return", "exchange")
                    else "exchange",
                    "attachment_ids": [(6, 0, attachments.ids)],
                }
            )
        )
        try:
            wizard.action_report()
        except UserError as error:
            attachments.unlink()
            return self._order_procedure_redirect(
                order_sudo,
                access_token,
                order_procedure_error="report",
                order_procedure_reason=error.args[0][:200],
            )
        return self._order_procedure_redirect(
            order_sudo, access_token, order_procedure_message="reported"
        )
