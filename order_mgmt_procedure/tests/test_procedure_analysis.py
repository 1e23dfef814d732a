import statistics
from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models.sale_order import PROCEDURE_STAGES
from .common import OrderProcedureCase

MEDIANS = ["working_hours_median:median", "working_hours_p90:p90"]
REVIEW_MEASURES = [*MEDIANS, "review_in_target_rate:avg", "__count"]


@tagged("post_install", "-at_install")
class TestProcedureAnalysis(OrderProcedureCase):
    """Measures on a known set of orders, read the way the pivot and graph
    views read them, by the users who open them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_office_calendar()
        cls.reviewer_2 = new_test_user(
            cls.env, "omp_reviewer_2", "order_mgmt_procedure.group_order_reviewer"
        )
        cls.Report = cls.env["sale.order.stage.report"]

    def _reviewed(self, stays, priority="0", reviewer=None):
        """Orders that stayed in review over ``stays`` ((start, end) pairs,
        end None: still in review), reviewed by ``reviewer``."""
        reviewer = reviewer or self.reviewer
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "priority_manual": priority if priority == "1" else False,
                    "review_user_id": reviewer.id if end else False,
                }
                for __, end in stays
            ]
        )
        self.env.flush_all()
        # The known history replaces the one the orders just started.
        self.env.cr.execute(
            "DELETE FROM sale_order_stage_history WHERE order_id IN %s",
            [tuple(orders.ids)],
        )
        values = []
        for order, (start, end) in zip(orders, stays, strict=True):
            values += [
                {
                    "order_id": order.id,
                    "stage": "received",
                    "date_start": start - timedelta(hours=1),
                    "date_end": start,
                },
                {
                    "order_id": order.id,
                    "stage": "in_review",
                    "date_start": start,
                    "date_end": end,
                    "end_user_id": end and reviewer.id,
                },
            ]
            if end:
                values.append(
                    {"order_id": order.id, "stage": "pending", "date_start": end}
                )
        self.env["sale.order.stage.history"].create(values)
        return orders

    def _known_reviews(self):
        day = 0  # a Monday
        urgent = self._reviewed(
            [
                (self.at(day, 9), self.at(day, 10)),  # 1 working hour
                (self.at(day, 9), self.at(day, 11)),  # 2
                (self.at(day, 9), self.at(day, 12)),  # 3
                (self.at(day, 9), self.at(day, 17)),  # 7: lunch is no work
                (self.at(day - 14, 16), None),  # in review for two weeks
            ],
            priority="1",
        )
        normal = self._reviewed(
            [
                (self.at(day + 1, 9), self.at(day + 1, 11)),  # 2
                (self.at(day + 1, 9), self.at(day + 1, 14)),  # 4: the target, met
            ],
            reviewer=self.reviewer_2,
        )
        return urgent, normal

    def _groups(self, user, groupby, aggregates, domain=()):
        groups = self.Report.with_user(user).formatted_read_group(
            [*domain, ("order_id.partner_id", "=", self.customer.id)],
            groupby,
            aggregates,
        )
        # Many2one groups come as (id, name): keep the id.
        return {
            tuple(
                group[g][0] if isinstance(group[g], tuple) else group[g]
                for g in groupby
            ): group
            for group in groups
        }

    def test_review_medians_and_target_by_priority_and_reviewer(self):
        urgent, normal = self._known_reviews()
        in_review = [("stage", "=", "in_review")]

        by_priority = self._groups(
            self.manager, ["priority"], REVIEW_MEASURES, in_review
        )
        urgent_group = by_priority["1",]
        # 1, 2, 3, 7 working hours: median 2.5, 90th percentile 3 + 0.7 * 4.
        self.assertAlmostEqual(urgent_group["working_hours_median:median"], 2.5)
        self.assertAlmostEqual(urgent_group["working_hours_p90:p90"], 5.8)
        self.assertAlmostEqual(urgent_group["review_in_target_rate:avg"], 75.0)
        self.assertEqual(urgent_group["__count"], 5, "the open review is listed")
        normal_group = by_priority["0",]
        self.assertAlmostEqual(normal_group["working_hours_median:median"], 3.0)
        self.assertAlmostEqual(normal_group["working_hours_p90:p90"], 3.8)
        self.assertAlmostEqual(normal_group["review_in_target_rate:avg"], 100.0)

        # The total is the median of all six reviews, not a mean of medians.
        [total] = self._groups(self.manager, [], REVIEW_MEASURES, in_review).values()
        self.assertAlmostEqual(total["working_hours_median:median"], 2.5)
        self.assertAlmostEqual(total["review_in_target_rate:avg"], 500 / 6)

        by_reviewer = self._groups(self.manager, ["reviewer_id"], MEDIANS, in_review)
        self.assertAlmostEqual(
            by_reviewer[self.reviewer.id,]["working_hours_median:median"], 2.5
        )
        self.assertAlmostEqual(
            by_reviewer[self.reviewer_2.id,]["working_hours_median:median"], 3.0
        )

        overdue = self.Report.with_user(self.manager).search(
            [
                *in_review,
                ("is_overdue", "=", True),
                ("order_id.partner_id", "=", self.customer.id),
            ]
        )
        self.assertEqual(overdue.order_id, urgent[3] | urgent[4])

        # Orders entering each stage, per day.
        entries = self._groups(
            self.manager, ["date_start:day", "stage"], ["__count"], in_review
        )
        self.assertEqual(
            sorted(group["__count"] for group in entries.values()),
            [1, len(normal), 4],
        )

    def _customer_domain(self):
        return [("order_id.partner_id", "=", self.customer.id)]

    def test_stages_come_in_the_procedure_order(self):
        """Rows of the pivot, bars of the graph and a list sorted by stage
        follow the procedure (received, in review, pending, ...), not the
        alphabetical order of the stage keys."""
        [order] = self._reviewed([(self.at(0, 9), self.at(0, 11))])
        History = self.env["sale.order.stage.history"]
        for stage, start, end in (
            ("awaiting_shipment", (0, 12), (1, 10)),
            ("shipped", (1, 10), (3, 10)),
            ("completed", (3, 10), None),
        ):
            History.search(
                [("order_id", "=", order.id), ("date_end", "=", False)]
            ).date_end = self.at(*start)
            History.create(
                {
                    "order_id": order.id,
                    "stage": stage,
                    "date_start": self.at(*start),
                    "date_end": end and self.at(*end),
                }
            )
        procedure = [key for key, __ in PROCEDURE_STAGES]
        expected = [
            "received",
            "in_review",
            "pending",
            "awaiting_shipment",
            "shipped",
            "completed",
        ]
        self.assertEqual(
            [s for s in procedure if s in expected], expected, "the procedure order"
        )
        Report = self.Report.with_user(self.manager)
        groups = Report.formatted_read_group(
            self._customer_domain(), ["stage"], ["__count"]
        )
        self.assertEqual([g["stage"] for g in groups], expected)
        # The pivot's own call: every level, the stage in rows.
        by_stage, by_stage_priority, __ = Report.formatted_read_grouping_sets(
            self._customer_domain(),
            [["stage"], ["stage", "priority"], []],
            ["working_hours_median:median", "__count"],
        )
        self.assertEqual([g["stage"] for g in by_stage], expected)
        self.assertEqual([g["stage"] for g in by_stage_priority], expected)
        # Descending, and a list sorted by its stage column.
        groups = Report.formatted_read_group(
            self._customer_domain(), ["stage"], ["__count"], order="stage desc"
        )
        self.assertEqual([g["stage"] for g in groups], expected[::-1])
        rows = Report.search(self._customer_domain(), order="stage, id")
        self.assertEqual(list(dict.fromkeys(rows.mapped("stage"))), expected)

    def test_entries_graph_has_no_empty_stage(self):
        """The line graph of orders entering each stage fills the weeks
        without entries (fill_temporal): those weeks count zero in a stage
        series, not in a "None" series the data and the pivot do not have."""
        # Entries in the first and third week: the second is filled.
        self._reviewed(
            [
                (self.at(0, 9), self.at(0, 11)),
                (self.at(14, 9), self.at(14, 11)),
            ]
        )
        groupby = ["date_start:week", "stage"]
        groups = (
            self.Report.with_user(self.manager)
            .with_context(fill_temporal=True)
            .formatted_read_group(
                [
                    *self._customer_domain(),
                    ("date_start", ">=", self.at(-1, 0)),
                    ("date_start", "<", self.at(20, 0)),
                ],
                groupby,
                ["__count"],
            )
        )
        weeks = list(dict.fromkeys(g["date_start:week"] for g in groups))
        self.assertEqual(len(weeks), 3, "the empty week is shown, in time order")
        self.assertEqual(
            [g["stage"] for g in groups if not g["stage"]], [], "no empty stage"
        )
        # The series (stages) in the procedure's order, each over every week.
        series = list(dict.fromkeys(g["stage"] for g in groups))
        self.assertEqual(series, ["received", "in_review", "pending"])
        self.assertEqual([g["date_start:week"] for g in groups], weeks * len(series))
        empty_week = [g for g in groups if g["date_start:week"] == weeks[1]]
        self.assertEqual([g["__count"] for g in empty_week], [0, 0, 0])
        self.assertEqual(
            sum(g["__count"] for g in groups), 6, "two orders, three stages each"
        )

    def test_total_median_is_the_median_of_all_rows(self):
        """The pivot's total (the grouping set without groups) is the median
        of every finished stay, not of the group medians nor zero."""
        self._known_reviews()
        domain = [*self._customer_domain(), ("is_open", "=", False)]
        Report = self.Report.with_user(self.manager)
        measures = [
            "working_hours_median:median",
            "duration_hours_median:median",
            "working_hours_p90:p90",
            "__count",
        ]
        *__, [total] = Report.formatted_read_grouping_sets(
            domain, [["stage", "priority"], ["stage"], ["priority"], []], measures
        )
        rows = Report.search(domain)
        self.assertEqual(total["__count"], len(rows))
        working = rows.mapped("working_hours_median")
        self.assertGreater(statistics.median(working), 0)
        self.assertAlmostEqual(
            total["working_hours_median:median"], statistics.median(working)
        )
        self.assertAlmostEqual(
            total["duration_hours_median:median"],
            statistics.median(rows.mapped("duration_hours_median")),
        )
        self.assertAlmostEqual(
            total["working_hours_p90:p90"],
            statistics.quantiles(working, n=10, method="inclusive")[-1],
        )
        # The graph's and the list's call without groups: the same.
        [graph_total] = Report.formatted_read_group(domain, [], measures)
        self.assertAlmostEqual(
            graph_total["working_hours_median:median"], statistics.median(working)
        )

    def test_no_sample_data_for_median_measures(self):
        """The web client's sample data (shown while a report is empty) has
        no median or percentile: a view measuring one would fail to open for
        a new reviewer with nothing reviewed yet."""
        supported = {"sum", "avg", "max", "min", "count_distinct", "bool_or"}
        reports = [
            name
            for name, model in self.env.registry.items()
            if "order.procedure.report.mixin" in model._inherit and not model._abstract
        ]
        views = self.env["ir.ui.view"].search(
            [("model", "in", reports), ("type", "in", ["pivot", "graph"])]
        )
        self.assertTrue(views)
        for view in views:
            arch = etree.fromstring(view.arch)
            Model = self.env[view.model]
            measures = [
                Model._fields[node.get("name")].aggregator
                for node in arch.iter("field")
                if node.get("type") == "measure"
            ]
            if arch.get("sample") in ("1", "True", "true"):
                with self.subTest(view=view.xml_id):
                    self.assertLessEqual(set(measures), supported)

    def test_reviewers_see_their_own_queue_managers_everything(self):
        urgent, normal = self._known_reviews()
        Report = self.Report
        for user, orders in (
            (self.reviewer, urgent[:4]),
            (self.reviewer_2, normal),
            (self.manager, urgent | normal),
        ):
            with self.subTest(user=user.login):
                rows = Report.with_user(user).search(
                    [("order_id.partner_id", "=", self.customer.id)]
                )
                self.assertEqual(rows.order_id, orders)
        # A submitted order is in the queue of the reviewer it was given to.
        submitted = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self._submit(submitted)
        self.env.flush_all()
        assignee = submitted.activity_ids.user_id
        self.assertEqual(len(assignee), 1)
        queue = Report.with_user(assignee).search([("order_id", "=", submitted.id)])
        self.assertEqual(queue.mapped("stage"), ["in_review"])
        self.assertTrue(queue.is_open)
        with self.assertRaises(AccessError):
            Report.with_user(self.receiver).search([])
        with self.assertRaises(AccessError):
            self.env["order.return.request.report"].with_user(self.reviewer).search([])

    def test_nothing_leaks_across_companies(self):
        other = self.env["res.company"].create({"name": "Chengdu Branch"})
        order = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "company_id": other.id}
        )
        self.env.flush_all()
        self.assertEqual(order.stage_history_ids.company_id, other)
        for model in (
            "sale.order.stage.history",
            "sale.order.stage.report",
        ):
            with self.subTest(model=model):
                self.assertFalse(
                    self.env[model]
                    .with_user(self.manager)
                    .search([("order_id", "=", order.id)])
                )

        # Allowed in that company too: its orders are counted.
        self.manager.company_ids |= other
        rows = (
            self.Report.with_user(self.manager)
            .with_context(allowed_company_ids=[self.company.id, other.id])
            .search([("order_id", "=", order.id)])
        )
        self.assertEqual(rows.stage, "received")

    def test_timeline_follows_the_orders_a_user_sees(self):
        own = self._create_order(
            [(self.product_in_stock, 1)], user=self.receiver, user_id=self.receiver.id
        )
        other = self._create_order(
            [(self.product_in_stock, 1)], user_id=self.manager.id
        )
        self.env.flush_all()
        History = self.env["sale.order.stage.history"]
        visible = History.with_user(self.receiver).search(
            [("order_id", "in", (own | other).ids)]
        )
        self.assertEqual(visible.order_id, own)
        self.assertEqual(
            own.with_user(self.receiver).stage_history_ids.mapped("stage"),
            ["received"],
        )
        self.assertEqual(
            History.with_user(self.reviewer)
            .search([("order_id", "in", (own | other).ids)])
            .order_id,
            own | other,
        )

    def test_procedure_analysis_menu_for_managers(self):
        Menu = self.env["ir.ui.menu"]
        analysis = self.env.ref("order_mgmt_procedure.menu_procedure_analysis")
        mine = self.env.ref("order_mgmt_procedure.menu_my_review_figures")
        self.assertEqual(analysis.name, "Procedure Analysis")
        self.assertIn(analysis.id, Menu.with_user(self.manager)._visible_menu_ids())
        self.assertNotIn(analysis.id, Menu.with_user(self.reviewer)._visible_menu_ids())
        self.assertIn(mine.id, Menu.with_user(self.reviewer)._visible_menu_ids())
        self.assertNotIn(mine.id, Menu.with_user(self.receiver)._visible_menu_ids())
        self.assertEqual(
            {menu.action.res_model for menu in analysis.child_id},
            {
                "sale.order.stage.report",
                "order.return.request.report",
                "sale.order.cancel.report",
                "stock.picking.delivery.report",
                "sale.order",
            },
        )

    def test_return_and_exchange_slas(self):
        order = self._completed_order()
        today = fields.Date.context_today(self.env["sale.order"])
        friday = self.at(4, 12).date()

        def request(request_type="return", **values):
            return self.env["order.return.request"].create(
                {
                    "order_id": order.id,
                    "request_type": request_type,
                    "reason": "Wrong colour",
                    "state": "approved",
                    "approved_date": self.at(0, 10),
                    "deadline": friday,
                    **values,
                }
            )

        on_time = request(state="done", done_date=self.at(4, 10))
        last_evening = request(state="done", done_date=self.at(4, 23))
        # Saturday 01:00 in Shanghai, still Friday in UTC: late.
        late = request(state="done", done_date=self.at(5, 1))
        overdue = request(deadline=today - timedelta(days=2))
        request(deadline=today + timedelta(days=5))  # not due: not counted
        request(state="rejected")
        exchange = request("exchange", state="done", done_date=self.at(1, 10))

        Report = self.env["order.return.request.report"].with_user(self.manager)
        groups = {
            group["request_type"]: group
            for group in Report.formatted_read_group(
                [("order_id", "=", order.id)],
                ["request_type"],
                [
                    "within_sla_rate:avg",
                    "days_to_complete_median:median",
                    "__count",
                ],
            )
        }
        self.assertAlmostEqual(groups["return"]["within_sla_rate:avg"], 50.0)
        self.assertEqual(groups["return"]["__count"], 6)
        # 4, 4.54 and 4.625 days from approval.
        self.assertAlmostEqual(
            groups["return"]["days_to_complete_median:median"], 13 / 24 + 4
        )
        self.assertAlmostEqual(groups["exchange"]["within_sla_rate:avg"], 100.0)
        self.assertEqual(
            Report.search(
                [("order_id", "=", order.id), ("is_overdue", "=", True)]
            ).request_id,
            late | overdue,
        )
        self.assertTrue(on_time and last_evening and exchange)

    def test_cancellations_and_refunds_by_logistics_stage(self):
        self.product_in_stock.write({"invoice_policy": "order", "taxes_id": False})
        quotation = self._create_order([(self.product_in_stock, 1)], user=self.receiver)
        self.env.flush_all()  # the end of the receiver's request
        quotation.with_user(self.receiver).action_request_cancel()

        shipped = self._create_reviewed_order([(self.product_in_stock, 2)])
        self._ship(shipped)
        shipped._create_invoices().action_post()
        action = shipped.with_user(self.manager).action_request_cancel()
        self.env["order.cancel.wizard"].with_user(self.manager).with_context(
            **action["context"]
        ).create({"reason": "Customer refused the parcel"}).action_confirm_cancel()
        self.assertEqual(shipped.cancel_logistics_stage, "shipped")
        refund = shipped.refund_move_ids
        self.assertTrue(refund)

        Report = self.env["sale.order.cancel.report"].with_user(self.manager)
        rows = Report.search([("order_id", "in", (quotation | shipped).ids)])
        by_order = {row.order_id: row for row in rows}
        self.assertEqual(by_order[quotation].previous_stage, "received")
        self.assertEqual(by_order[quotation].logistics_stage, "not_shipped")
        self.assertEqual(by_order[quotation].refund_amount, 0)
        self.assertEqual(by_order[shipped].previous_stage, "shipped")
        self.assertEqual(by_order[shipped].logistics_stage, "shipped")
        self.assertAlmostEqual(by_order[shipped].refund_amount, refund.amount_total)
        self.assertAlmostEqual(by_order[shipped].amount_total, shipped.amount_total)

        groups = Report.formatted_read_group(
            [("order_id", "in", (quotation | shipped).ids)],
            ["logistics_stage"],
            ["refund_amount:sum", "__count"],
        )
        self.assertEqual(
            {g["logistics_stage"]: g["refund_amount:sum"] for g in groups},
            {"not_shipped": 0, "shipped": refund.amount_total},
        )

    def test_logistics_exceptions_by_carrier(self):
        def carrier(name):
            product = self.env["product.product"].create(
                {"name": f"{name} shipping", "type": "service"}
            )
            return self.env["delivery.carrier"].create(
                {"name": name, "product_id": product.id}
            )

        sf, zto = carrier("SF Express"), carrier("ZTO Express")
        deliveries = {}
        for name, chosen in (("sf_1", sf), ("sf_2", sf), ("zto", zto)):
            order = self._create_reviewed_order([(self.product_in_stock, 1)])
            delivery = order.picking_ids
            delivery.write({"carrier_id": chosen.id, "carrier_tracking_ref": name})
            self._ship(order)
            deliveries[name] = delivery
        Event = self.env["stock.picking.logistics.event"]
        Event.create(
            {
                "picking_id": deliveries["sf_1"].id,
                "event_type": "delayed",
                "description": "Typhoon",
            }
        )
        Event.create(
            {
                "picking_id": deliveries["sf_2"].id,
                "event_type": "delivered",
                "date": deliveries["sf_2"].date_done + timedelta(hours=30),
            }
        )
        Report = self.env["stock.picking.delivery.report"].with_user(self.manager)
        groups = {
            group["carrier_id"][0]: group
            for group in Report.formatted_read_group(
                [("picking_id", "in", [d.id for d in deliveries.values()])],
                ["carrier_id"],
                [
                    "exception_count:sum",
                    "exception_rate:avg",
                    "transit_hours_median:median",
                ],
            )
        }
        self.assertEqual(groups[sf.id]["exception_count:sum"], 1)
        self.assertAlmostEqual(groups[sf.id]["exception_rate:avg"], 50.0)
        self.assertAlmostEqual(groups[sf.id]["transit_hours_median:median"], 30.0)
        self.assertEqual(groups[zto.id]["exception_count:sum"], 0)
        self.assertAlmostEqual(groups[zto.id]["exception_rate:avg"], 0.0)

    def test_review_target_setting_moves_the_deadline(self):
        self.company.review_target_hours = 8
        [order] = self._reviewed([(self.at(0, 9), self.at(0, 10))])
        review = order.stage_history_ids.filtered(lambda h: h.stage == "in_review")
        # 9:00-12:00, 13:00-18:00: the eighth working hour ends the day.
        self.assertEqual(review.review_deadline, self.at(0, 18))
