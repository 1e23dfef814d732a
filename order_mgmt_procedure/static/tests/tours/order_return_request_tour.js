import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// A return request for a completed order: an order receiver opens it from
// the order and submits it, a procedure manager approves it. The Python test
// (tests/test_tours.py) makes the completed order and checks the request
// after each tour.

const PRODUCT_CODE = "T-CAB";
const REASON = "The cabinet door does not close";

function requestState(label) {
    return {
        content: `the request is ${label}`,
        trigger: `.o_form_view .o_statusbar_status button[aria-checked=true]:contains("${label}")`,
    };
}

registry.category("web_tour.tours").add("order_return_request_tour", {
    steps: () => [
        {
            trigger: '.o_form_view .o_field_widget[name=procedure_stage]:contains("Completed")',
        },
        {
            content: "the customer wants to send goods back",
            trigger: ".o_statusbar_buttons button[name=action_new_return_request]",
            run: "click",
        },
        requestState("Draft"),
        {
            content: "the delivered products are listed",
            trigger: `.o_field_widget[name=line_ids] .o_data_row:contains("${PRODUCT_CODE}") td[name=quantity]:contains("2")`,
        },
        {
            content: "only one of the two comes back",
            trigger: `.o_field_widget[name=line_ids] .o_data_row:contains("${PRODUCT_CODE}") td[name=quantity]`,
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=line_ids] .o_selected_row [name=quantity] input",
            run: "edit 1",
        },
        {
            content: "why the customer sends it back",
            trigger: ".o_field_widget[name=reason] textarea",
            run: `edit ${REASON}`,
        },
        {
            content: "the product was checked intact",
            trigger: ".o_field_widget[name=condition_intact] input",
            run: "click",
        },
        {
            content: "with all its accessories",
            trigger: ".o_field_widget[name=condition_accessories] input",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=condition_accessories] input:checked",
        },
        {
            content: "send the request to the procedure managers",
            trigger: ".o_statusbar_buttons button[name=action_submit]",
            run: "click",
        },
        requestState("Submitted"),
        {
            content: "a receiver cannot approve it",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_approve]))",
        },
        {
            trigger: `.o_form_view .o_field_widget[name=line_ids] .o_data_row:contains("${PRODUCT_CODE}") td[name=quantity]:contains("1")`,
        },
    ],
});

registry.category("web_tour.tours").add("order_return_request_approve_tour", {
    steps: () => [
        stepUtils.autoExpandMoreButtons(),
        {
            content: "open the order's return requests",
            trigger: ".o-form-buttonbox button[name=action_view_return_requests]",
            run: "click",
        },
        {
            content: "open the submitted request",
            trigger: `.o_list_view .o_data_row:contains("Submitted"):contains("${REASON}") td[name=name]`,
            run: "click",
        },
        requestState("Submitted"),
        {
            content: "approve the return",
            trigger: ".o_statusbar_buttons button[name=action_approve]",
            run: "click",
        },
        {
            content: "confirm: the return transfer is made and the SLA starts",
            trigger: ".modal:contains(SLA starts now) .modal-footer button.btn-primary",
            run: "click",
        },
        requestState("Approved"),
        {
            content: "the goods come back through a return transfer",
            trigger: ".o_form_view .o_field_widget[name=return_picking_id] a, .o_form_view .o_field_widget[name=return_picking_id]:not(:empty)",
        },
        {
            content: "the deadline of the return is set",
            trigger: ".o_form_view .o_field_widget[name=deadline]:not(:empty)",
        },
    ],
});
