from . import order_abnormal_receipt_wizard
from . import order_cancel_wizard
from . import order_review_return_wizard
from . import stock_put_in_pack
from . import sale_order_batch_import
