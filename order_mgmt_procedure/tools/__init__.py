from . import work_schedule
