from odoo.tools import SQL


def pick_assignees(records, group_xmlid, activity_xmlid, may_take, get_leader):
    """Whom each record's activity goes to: its sales team leader when they
    may take it, else the internal user of the group with the fewest open
    activities of that type (ties by id), counting those given out here.
    ``may_take(record, user)`` says who may; records nobody may take are
    left out of the result, a dict record -> user."""
    env = records.env
    # By their ids (cached by the registry): no query to check they exist
    # for each record handed over.
    IrModelData = env["ir.model.data"]
    group = env["res.groups"].browse(IrModelData._xmlid_to_res_id(group_xmlid))
    activity_type = env["mail.activity.type"].browse(
        IrModelData._xmlid_to_res_id(activity_xmlid)
    )
    # sudo: choosing someone reads other users' groups, companies and open
    # activities, which the user handing the work over may not read.
    Users = env["res.users"].sudo()
    Activity = env["mail.activity"].sudo()
    # The users and their open activities of the type, in one query.
    Activity.flush_model(["user_id", "activity_type_id", "active"])
    users_query = Users._search(
        [("all_group_ids", "in", group.id), ("share", "=", False)]
    )
    load = dict(
        env.execute_query(
            SQL(
                """
                SELECT u.id, (SELECT COUNT(*) FROM mail_activity a
                               WHERE a.user_id = u.id AND a.active
                                 AND a.activity_type_id = %s)
                  FROM res_users u
                 WHERE u.id IN %s
                """,
                activity_type.id,
                users_query.subselect(),
            )
        )
    )
    users = Users.browse(sorted(load))
    assignees = {}
    for record in records:
        candidates = users.filtered(lambda u, r=record: may_take(r, u))
        if not candidates:
            continue
        leader = get_leader(record)
        user = (
            leader
            if leader in candidates
            else min(candidates, key=lambda u: (load[u.id], u.id))
        )
        load[user.id] += 1
        assignees[record] = user
    return assignees
