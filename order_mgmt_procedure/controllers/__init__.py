from . import portal
from . import portal_order_upload
