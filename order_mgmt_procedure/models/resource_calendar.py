"""Working calendars: the stage history keeps the working time it reads from
them (sale_order_stage_history._get_month_schedule) until one changes."""

from odoo import api, models


def _forget_work_schedules(env):
    """A calendar, its hours or its leaves changed: the working time kept by
    the registry is read again."""
    env.registry.clear_cache()


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        _forget_work_schedules(self.env)
        return records

    def write(self, vals):
        result = super().write(vals)
        _forget_work_schedules(self.env)
        return result

    def unlink(self):
        result = super().unlink()
        _forget_work_schedules(self.env)
        return result


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        _forget_work_schedules(self.env)
        return records

    def write(self, vals):
        result = super().write(vals)
        _forget_work_schedules(self.env)
        return result

    def unlink(self):
        result = super().unlink()
        _forget_work_schedules(self.env)
        return result


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        _forget_work_schedules(self.env)
        return records

    def write(self, vals):
        result = super().write(vals)
        _forget_work_schedules(self.env)
        return result

    def unlink(self):
        result = super().unlink()
        _forget_work_schedules(self.env)
        return result
