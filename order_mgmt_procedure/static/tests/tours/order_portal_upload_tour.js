import { registry } from "@web/core/registry";

// A distributor's portal user imports their own orders: My Orders > Import
// Orders, a file of two orders without the customer (their own company), and
// the orders are listed as received, then in their orders. The Python test
// (tests/test_portal_upload.py) makes the distributor and checks the orders.

const CSV = [
    "External Order Reference,Customer,Product,Quantity",
    "TOUR-PO-1,,T-CAB,2",
    "TOUR-PO-2,,T-CAB,1",
    "",
].join("\n");

registry.category("web_tour.tours").add("order_portal_upload_tour", {
    steps: () => [
        {
            content: "the distributor imports orders from their orders list",
            trigger: "a.o_order_import_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "the template is offered for download",
            trigger: "a.o_order_import_template[href='/my/orders/import/template']",
        },
        {
            content: "they choose their file",
            trigger: ".o_order_import_form input[name=order_file]",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(new File([CSV], "orders.csv", { type: "text/csv" }));
                this.anchor.files = transfer.files;
            },
        },
        {
            trigger: ".o_order_import_form button[type=submit]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "both orders are received",
            trigger: ".o_order_import_done .o_order_import_order:contains(TOUR-PO-1):contains(Received)",
        },
        {
            trigger: ".o_order_import_done .o_order_import_order:contains(TOUR-PO-2)",
        },
        {
            content: "back to their orders",
            trigger: ".o_portal_submenu a[href='/my/orders']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "the orders are in the list, in Received",
            trigger: "a.o_order_import_link",
        },
        {
            trigger: ".o_portal_my_doc_table tr:contains(Received)",
        },
    ],
});
