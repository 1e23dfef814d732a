import bisect
from datetime import timedelta

from pytz import utc


class WorkSchedule:
    """The working time of a calendar between two moments (naive UTC), its
    leaves (public holidays) left out, for many durations at once: the
    intervals are read once, each duration is then two bisections."""

    def __init__(self, calendar, start, end):
        intervals = calendar._work_intervals_batch(
            utc.localize(start), utc.localize(end)
        )[False]
        spans = sorted(
            (
                begin.astimezone(utc).replace(tzinfo=None),
                stop.astimezone(utc).replace(tzinfo=None),
            )
            for begin, stop, __ in intervals
        )
        self.starts, self.ends = [], []
        # Seconds worked before each interval starts and when it ends.
        self.before, self.after = [], []
        worked = 0.0
        for begin, stop in spans:
            if self.ends and begin <= self.ends[-1]:
                # Attendances may touch or overlap: merge them.
                if stop > self.ends[-1]:
                    worked += (stop - self.ends[-1]).total_seconds()
                    self.ends[-1] = stop
                    self.after[-1] = worked
                continue
            self.starts.append(begin)
            self.ends.append(stop)
            self.before.append(worked)
            worked += (stop - begin).total_seconds()
            self.after.append(worked)

    def _worked_until(self, moment):
        """Seconds worked from the first interval up to ``moment``."""
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0.0
        return (
            self.before[index]
            + (min(moment, self.ends[index]) - self.starts[index]).total_seconds()
        )

    def hours(self, start, end):
        return max(self._worked_until(end) - self._worked_until(start), 0.0) / 3600

    def reach(self, start, hours):
        """When ``hours`` of work after ``start`` are done; None beyond the
        schedule."""
        target = self._worked_until(start) + hours * 3600
        index = bisect.bisect_left(self.after, target)
        if index >= len(self.starts):
            return None
        return self.starts[index] + timedelta(seconds=target - self.before[index])
