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

    # Only the leaves of no one (public holidays) are in the working time
    # kept: an employee's time off, approved every day, leaves it alone.

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if records.filtered(lambda leave: not leave.resource_id):
            _forget_work_schedules(self.env)
        return records

    def write(self, vals):
        public = bool(self.filtered(lambda leave: not leave.resource_id))
        result = super().write(vals)
        if public or self.filtered(lambda leave: not leave.resource_id):
            _forget_work_schedules(self.env)
        return result

    def unlink(self):
        public = bool(self.filtered(lambda leave: not leave.resource_id))
        result = super().unlink()
        if public:
            _forget_work_schedules(self.env)
        return result
