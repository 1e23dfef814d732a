"""Distributors' own order files on the portal: My Orders > Import Orders."""

from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.http import content_disposition, request

from odoo.addons.sale.controllers.portal import CustomerPortal

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OrderUploadPortal(CustomerPortal):
    # === DISTRIBUTORS' ORDER UPLOAD === #

    def _prepare_orders_domain(self, partner):
        # The orders a distributor uploaded are theirs from Received on, not
        # only once confirmed.
        return list(
            Domain.OR(
                [
                    Domain(super()._prepare_orders_domain(partner)),
                    Domain(
                        [
                            (
                                "partner_id",
                                "child_of",
                                [partner.commercial_partner_id.id],
                            ),
                            ("state", "=", "draft"),
                            ("batch_import_uploaded_by_id", "!=", False),
                        ]
                    ),
                ]
            )
        )

    def _prepare_sale_portal_rendering_values(self, *args, **kwargs):
        values = super()._prepare_sale_portal_rendering_values(*args, **kwargs)
        values["order_upload_allowed"] = request.env[
            "sale.order.batch.import"
        ]._portal_upload_allowed()
        return values

    # === IMPORT ORDERS === #

    def _order_upload_page(self, **values):
        Import = request.env["sale.order.batch.import"]
        if not Import._portal_upload_allowed():
            # Not a distributor: the page does not exist for them.
            raise request.not_found()
        # sudo: the limits are the company's settings, which portal users may
        # not read; only their values are shown.
        company = request.env.user.company_id.sudo()
        env = request.env
        orders = values.get("imported_orders")
        return request.render(
            "order_mgmt_procedure.portal_order_import",
            {
                **self._prepare_portal_layout_values(),
                "page_name": "order_import",
                "limits_message": env._(
                    "An Excel workbook (.xlsx, .xls) or a CSV file of at most "
                    "%(rows)s order lines and %(size)s MB. Every order of the file "
                    "is received, or none: a refused file is listed row by row.",
                    rows=company.batch_import_max_rows,
                    size=company.batch_import_max_size_mb,
                ),
                "imported_message": orders
                and (
                    env._(
                        "Your order was received: we check it and confirm it to "
                        "you. Follow it in your orders."
                    )
                    if len(orders) == 1
                    else env._(
                        "Your %(count)s orders were received: we check them and "
                        "confirm them to you. Follow them in your orders.",
                        count=len(orders),
                    )
                ),
                **values,
            },
        )

    @http.route(
        "/my/orders/import",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_order_import(self, imported=None, **kw):
        orders = request.env["sale.order"]
        if imported:
            ids = [int(i) for i in imported.split(",") if i.isdigit()]
            # Read as the portal user: only their own orders show.
            orders = orders.search([("id", "in", ids)])
        return self._order_upload_page(imported_orders=orders)

    @http.route(
        "/my/orders/import",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_order_import_upload(self, **kw):
        Import = request.env["sale.order.batch.import"]
        if not Import._portal_upload_allowed():
            raise request.not_found()
        upload = request.httprequest.files.get("order_file")
        filename = upload.filename if upload else ""
        try:
            orders = Import._import_portal_file(
                filename, upload.read() if upload else b""
            )
        except UserError as error:
            return self._order_upload_page(
                report=error.args[0].splitlines(), filename=filename
            )
        return request.redirect(
            "/my/orders/import?"
            + urlencode({"imported": ",".join(map(str, orders.ids))})
        )

    @http.route(
        "/my/orders/import/template",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
    )
    def portal_order_import_template(self, **kw):
        Import = request.env["sale.order.batch.import"]
        if not Import._portal_upload_allowed():
            raise request.not_found()
        filename, content = Import._get_portal_template()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )
