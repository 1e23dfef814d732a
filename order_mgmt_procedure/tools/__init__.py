from . import work_schedule
from . import text
from . import assignment
from . import cron
from . import data_loading
