from . import order_abnormal_receipt_wizard
from . import order_review_return_wizard
