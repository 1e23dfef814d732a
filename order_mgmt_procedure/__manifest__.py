{
    "name": "Order Management Procedure",
    "summary": "Runs the company's order-management regulation through Sales and "
    "Inventory: reception, review, processing, shipping, after-sales, "
    "cancellation, returns",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "license": "LGPL-3",
    "author": "order_mgmt_procedure contributors",
    "website": "https://github.com/order-mgmt-procedure/order_mgmt_procedure",
    "depends": [
        "sale_management",
        "sale_stock",
        "stock_delivery",
        "purchase_stock",
        "phone_validation",
        "rating",
    ],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/order_mgmt_procedure_security.xml",
        "security/ir.model.access.csv",
        "data/res_partner_category_data.xml",
        "data/order_priority_rule_data.xml",
        "data/order_review_rule_data.xml",
        "views/order_priority_rule_views.xml",
        "views/order_review_rule_views.xml",
        "views/sale_order_views.xml",
        "views/res_config_settings_views.xml",
        "views/order_mgmt_procedure_menus.xml",
    ],
    "demo": [
        "demo/res_users_demo.xml",
        "demo/sale_order_demo.xml",
    ],
    "installable": True,
    "application": False,
}
