"""The scheduled actions' batches: committed one by one when the scheduler
runs them, left to the caller's transaction otherwise."""


def in_scheduled_run(env):
    """Whether ``env`` is the scheduler's run of a scheduled action (Odoo's
    cron runner gives each run a progress record in the context)."""
    return bool(env.context.get("ir_cron_progress_id"))


def run_backlog(env, count):
    """The records left at the start of this run of a scheduled action, for
    its progress (0 outside the scheduler).

    When the action's last run stopped with records left (its time was up),
    this run goes on with them: their number is what that run reported, not
    counted again. Odoo runs an action whose time is up again at once, up to
    ten times in a row, each time for one batch: a count of the whole backlog
    at each of those runs would cost more than their batch, as many times as
    the backlog has batches. Otherwise ``count()`` (one query).
    """
    if not in_scheduled_run(env):
        return 0
    # sudo: the scheduler's own progress records, as ir.cron reads them.
    previous = (
        env["ir.cron.progress"]
        .sudo()
        .search_fetch(
            [
                ("cron_id", "=", env.context.get("cron_id")),
                ("id", "<", env.context["ir_cron_progress_id"]),
            ],
            ["remaining"],
            order="id desc",
            limit=1,
        )
    )
    return previous.remaining or count()


def commit_batch(env, processed, remaining):
    """End of a batch of ``processed`` records, ``remaining`` still to do.

    Run by the scheduler: the batch is committed with the progress shown on
    the scheduled action, and the seconds left of the run are returned
    (0: stop, the scheduler runs the action again for the rest). Called from
    anywhere else, the caller's transaction is not committed behind its back
    and the batches go on (no time limit).
    """
    if not in_scheduled_run(env):
        return float("inf")
    return env["ir.cron"]._commit_progress(processed, remaining=remaining)


def read_parameter(env, key):
    """The value of the system parameter ``key`` (None when unset): where a
    scheduled action keeps how far its pass went, committed with each batch.
    Read and written in SQL, as Odoo's cloud storage migration keeps its
    position: a system parameter written through the ORM would clear every
    worker's caches at each batch."""
    env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [key])
    row = env.cr.fetchone()
    return row[0] if row else None


def write_parameter(env, key, value):
    """Set the system parameter ``key`` to ``value`` (see read_parameter)."""
    env.cr.execute(
        """INSERT INTO ir_config_parameter (key, value, create_uid, create_date,
                                            write_uid, write_date)
           VALUES (%s, %s, %s, now() at time zone 'UTC', %s,
                   now() at time zone 'UTC')
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
               write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date""",
        [key, str(value), env.uid, env.uid],
    )
