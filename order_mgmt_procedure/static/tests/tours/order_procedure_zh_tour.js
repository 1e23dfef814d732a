import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// The procedure as a Chinese company's staff walk it, in 简体中文: the
// receiver, the reviewer and the warehouse clerk (tests/test_tours.py gives
// them the language zh_CN). Each step finds what it clicks by its name and
// checks the Chinese label on it: the labels are the msgstr of
// i18n/zh_CN.po (and of Odoo's stock module for 验证 and 已完成).

const CUSTOMER = "Hangzhou Xinyu Electronics";
const PRODUCT_CODE = "T-CAB";

const ZH = {
    received: "已接收",
    inReview: "审核中",
    awaitingShipment: "待发货",
    submitForReview: "提交审核",
    reviewTab: "审核",
    stockCheck: "产品规格与库存一致",
    specsCheck: "已与客户确认产品规格",
    passed: "已通过",
    markAsChecked: "标记为已检查",
    approve: "审核通过",
    salesOrder: "销售订单",
    markAsPacked: "标记为已打包",
    packed: "已打包",
    validate: "验证",
    done: "已完成",
};

function procedureStage(label) {
    return {
        content: `the order shows the procedure stage ${label}`,
        trigger: `.o_form_view .o_field_widget[name=procedure_stage]:contains("${label}")`,
    };
}

registry.category("web_tour.tours").add("order_procedure_zh_tour", {
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
        procedureStage(ZH.received),
        {
            content: `hand the quotation to the reviewers: ${ZH.submitForReview}`,
            trigger: `.o_statusbar_buttons button[name=action_submit_review]:contains("${ZH.submitForReview}")`,
            run: "click",
        },
        procedureStage(ZH.inReview),
        {
            content: "the receiver can no longer submit it, nor approve it",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_submit_review])):not(:has(button[name=action_review_approve]))",
        },
    ],
});

registry.category("web_tour.tours").add("order_procedure_zh_review_tour", {
    url: "/odoo/orders-to-review",
    steps: () => [
        {
            content: "open the order waiting for review",
            trigger: `.o_list_view .o_data_row:contains("${CUSTOMER}") td[name=name]`,
            run: "click",
        },
        procedureStage(ZH.inReview),
        {
            content: `open the review checklist: ${ZH.reviewTab}`,
            trigger: `.o_notebook a.nav-link[name=order_review]:contains("${ZH.reviewTab}")`,
            run: "click",
        },
        {
            content: "the automatic checks have passed",
            trigger: `.o_field_widget[name=review_line_ids] .o_data_row:contains("${ZH.stockCheck}"):contains("${ZH.passed}")`,
        },
        {
            content: `tick the manual check once confirmed with the customer: ${ZH.markAsChecked}`,
            trigger: `.o_field_widget[name=review_line_ids] .o_data_row:contains("${ZH.specsCheck}") button[name=action_mark_pass]:contains("${ZH.markAsChecked}")`,
            run: "click",
        },
        {
            content: "every manual item is ticked",
            trigger: `.o_field_widget[name=review_line_ids]:not(:has(button[name=action_mark_pass])) .o_data_row:contains("${ZH.specsCheck}"):contains("${ZH.passed}")`,
        },
        {
            content: `approve the review: ${ZH.approve}`,
            trigger: `.o_statusbar_buttons button[name=action_review_approve]:contains("${ZH.approve}")`,
            run: "click",
        },
        {
            // Approving may ask to confirm (it confirms the order): accept
            // the dialog when there is one.
            content: "approving confirms the order",
            trigger: `.modal .modal-footer button.btn-primary, .o_form_view .o_field_widget[name=procedure_stage]:contains("${ZH.awaitingShipment}")`,
            async run(helpers) {
                if (this.anchor.matches(".modal button")) {
                    await helpers.click();
                }
            },
        },
        procedureStage(ZH.awaitingShipment),
        {
            trigger: `.o_form_view .o_statusbar_status button[aria-checked=true]:contains("${ZH.salesOrder}")`,
        },
    ],
});

registry.category("web_tour.tours").add("order_procedure_zh_ship_tour", {
    steps: () => [
        {
            content: `check the packed contents against the order: ${ZH.markAsPacked}`,
            trigger: `.o_form_view .o_statusbar_buttons button[name=action_mark_packed]:contains("${ZH.markAsPacked}")`,
            run: "click",
        },
        {
            content: "the delivery is marked as packed",
            trigger: `.o_form_view:not(:has(button[name=action_mark_packed])) .ribbon:contains("${ZH.packed}")`,
        },
        {
            content: `ship the goods: ${ZH.validate}`,
            trigger: `.o_form_view .o_statusbar_buttons button[name=button_validate]:contains("${ZH.validate}")`,
            run: "click",
        },
        {
            content: "the delivery is done",
            trigger: `.o_form_view .o_statusbar_status button[aria-checked=true]:contains("${ZH.done}")`,
        },
    ],
});
