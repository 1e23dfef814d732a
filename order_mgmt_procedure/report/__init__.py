from . import order_procedure_report_mixin
from . import sale_order_stage_report
from . import order_return_request_report
from . import sale_order_cancel_report
from . import stock_picking_delivery_report
