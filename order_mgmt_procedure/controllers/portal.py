import base64
from urllib.parse import urlencode

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
        # Error texts carry spaces and punctuation: encode them.
        return request.redirect(
            order_sudo.get_portal_url(
                query_string="&" + urlencode(query) if query else None,
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
        except UserError as error:
            return self._order_procedure_redirect(
                order_sudo,
                access_token,
                order_procedure_error="sign_off",
                order_procedure_reason=error.args[0][:200],
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

    @http.route(
        "/my/orders/<int:order_id>/return_request",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_order_return_request(
        self,
        order_id,
        access_token=None,
        product_id=None,
        quantity="1",
        reason="",
        request_type="return",
        **kw,
    ):
        order_sudo = self._order_procedure_check_access(order_id, access_token)
        if not order_sudo:
            return request.redirect("/my")
        try:
            product_id = int(product_id or 0)
            quantity = float(quantity or 0)
        except ValueError:
            product_id, quantity = 0, 0.0
        # Only products of this order can be asked back.
        product = order_sudo.order_line.product_id.filtered(
            lambda p: p.id == product_id
        )
        # sudo: the customer proved access to the order; the request is the
        # procedure's record of what they ask.
        Request = request.env["order.return.request"].sudo()
        try:
            if not product:
                raise UserError(request.env._("Choose a product of the order."))
            with request.env.cr.savepoint():
                return_request = Request.create(
                    {
                        "order_id": order_sudo.id,
                        "request_type": request_type
                        if request_type in ("return", "exchange")
                        else "return",
                        "reason": reason or request.env._("Requested on the portal"),
                        "condition_intact": bool(kw.get("condition_intact")),
                        "condition_accessories": bool(kw.get("condition_accessories")),
                        "line_ids": [
                            (0, 0, {"product_id": product.id, "quantity": quantity})
                        ],
                    }
                )
                return_request.action_submit()
        except UserError as error:
            return self._order_procedure_redirect(
                order_sudo,
                access_token,
                order_procedure_error="return",
                order_procedure_reason=error.args[0][:200],
            )
        return self._order_procedure_redirect(
            order_sudo, access_token, order_procedure_message="reported"
        )
