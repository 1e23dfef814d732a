"""The scheduled actions' batches: committed one by one when the scheduler
runs them, left to the caller's transaction otherwise."""


def in_scheduled_run(env):
    """Whether ``env`` is the scheduler's run of a scheduled action (Odoo's
    cron runner gives each run a progress record in the context)."""
    return bool(env.context.get("ir_cron_progress_id"))


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
