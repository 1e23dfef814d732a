from . import order_review_return_wizard
