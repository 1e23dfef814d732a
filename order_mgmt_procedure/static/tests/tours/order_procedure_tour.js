import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// One order through the procedure, one tour per role: the reviewer must not
// be the order's creator. The Python test (tests/test_tours.py) creates the
// users, the customer and the product, runs the tours in turn and checks the
// order between them.

const CUSTOMER = "Hangzhou Xinyu Electronics";
const PRODUCT_CODE = "T-CAB";

function procedureStage(label) {
    return {
        content: `the order shows the procedure stage ${label}`,
        trigger: `.o_form_view .o_field_widget[name=procedure_stage]:contains("${label}")`,
    };
}

registry.category("web_tour.tours").add("order_procedure_tour", {
    url: "/odoo/sales/new",
    steps: () => [
        {
            content: "choose the customer",
            trigger: ".o_field_widget[name=partner_id] input",
            run: `edit ${CUSTOMER}`,
        },
        {
            trigger: `.ui-autocomplete a:contains("${CUSTOMER}")`,
            run: "click",
        },
        {
            content: "add a product line",
            trigger: ".o_field_widget[name=order_line] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=order_line] .o_selected_row [name=product_template_id] input",
            run: `edit ${PRODUCT_CODE}`,
        },
        {
            trigger: `.ui-autocomplete a:contains("${PRODUCT_CODE}")`,
            run: "click",
        },
        {
            content: "order two units",
            trigger: ".o_field_widget[name=order_line] .o_selected_row [name=product_uom_qty] input",
            run: "edit 2",
        },
        ...stepUtils.saveForm(),
        procedureStage("Received"),
        {
            content: "hand the quotation to the reviewers",
            trigger: ".o_statusbar_buttons button[name=action_submit_review]",
            run: "click",
        },
        procedureStage("In Review"),
        {
            content: "the receiver can no longer submit it, nor approve it",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_submit_review])):not(:has(button[name=action_review_approve]))",
        },
    ],
});

registry.category("web_tour.tours").add("order_procedure_review_tour", {
    url: "/odoo/orders-to-review",
    steps: () => [
        {
            content: "open the order waiting for review",
            trigger: `.o_list_view .o_data_row:contains("${CUSTOMER}") td[name=name]`,
            run: "click",
        },
        procedureStage("In Review"),
        {
            content: "open the review checklist",
            trigger: ".o_notebook a.nav-link[name=order_review]",
            run: "click",
        },
        {
            content: "the automatic checks have passed",
            trigger: '.o_field_widget[name=review_line_ids] .o_data_row:contains("Products and specifications in stock"):contains("Passed")',
        },
        {
            content: "tick the manual check once confirmed with the customer",
            trigger: '.o_field_widget[name=review_line_ids] .o_data_row:contains("Specifications confirmed with the customer") button[name=action_mark_pass]',
            run: "click",
        },
        {
            content: "every manual item is ticked",
            trigger: '.o_field_widget[name=review_line_ids]:not(:has(button[name=action_mark_pass])) .o_data_row:contains("Specifications confirmed with the customer"):contains("Passed")',
        },
        {
            content: "approve the review",
            trigger: ".o_statusbar_buttons button[name=action_review_approve]",
            run: "click",
        },
        {
            content: "approving confirms the order",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        procedureStage("Awaiting Shipment"),
        {
            trigger: '.o_form_view .o_statusbar_status button[aria-checked=true]:contains("Sales Order")',
        },
    ],
});

registry.category("web_tour.tours").add("order_procedure_ship_tour", {
    steps: () => [
        procedureStage("Awaiting Shipment"),
        stepUtils.autoExpandMoreButtons(),
        {
            content: "open the delivery of the order",
            trigger: ".o-form-buttonbox button[name=action_view_delivery]",
            run: "click",
        },
        {
            content: "check the packed contents against the order",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_mark_packed]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_mark_packed]))",
        },
        {
            content: "the packing check is recorded with the shipping information",
            trigger: ".o_notebook a.nav-link[name=extra]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=packing_checked] input:checked",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=packing_checked_by_id]",
        },
        {
            content: "ship the goods",
            trigger: ".o_form_view .o_statusbar_buttons button[name=button_validate]",
            run: "click",
        },
        {
            content: "the delivery is done",
            trigger: '.o_form_view .o_statusbar_status button[aria-checked=true]:contains("Done")',
        },
        {
            content: "back to the order",
            trigger: ".o_breadcrumb .o_back_button a",
            run: "click",
        },
        procedureStage("Shipped"),
        {
            content: "the customer signed for the goods",
            trigger: ".o_statusbar_buttons button[name=action_sign_off]",
            run: "click",
        },
        {
            content: "confirm the order is complete",
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        procedureStage("Completed"),
        {
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_sign_off]))",
        },
    ],
});
