from django.urls import path

from . import cases, disposal, inbox, profile, public, signals, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("risk-infos/", views.riskinfo_list, name="riskinfo_list"),
    path("risk-infos/<int:pk>/", views.riskinfo_detail, name="riskinfo_detail"),
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("signals/", signals.signal_list, name="signal_list"),
    path("signals/<int:pk>/", signals.signal_detail, name="signal_detail"),
    path("signals/<int:pk>/dismiss/", signals.signal_dismiss, name="signal_dismiss"),
    path("signals/<int:pk>/case/", signals.signal_case, name="signal_case"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/open/", cases.case_open, name="case_open"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/evidence/", cases.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/conclude/", cases.case_conclude, name="case_conclude"),
    path("cases/<int:pk>/matrix/", cases.case_matrix, name="case_matrix"),
    path("cases/<int:pk>/suggest/", cases.case_suggest, name="case_suggest"),
    path("cases/<int:pk>/override/", cases.case_override, name="case_override"),
    path("cases/<int:pk>/warning/", cases.case_warning, name="case_warning"),
    path("cases/<int:pk>/report.docx", cases.case_report_docx, name="case_report"),
    path("cases/<int:pk>/<slug:action>/", cases.case_action, name="case_action"),
    path("assessments/", views.assessment_list, name="assessment_list"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("warnings/", views.warning_list, name="warning_list"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning_detail"),
    path("warnings/<int:pk>/acknowledge/", views.warning_acknowledge, name="warning_acknowledge"),
    path("warnings/<int:pk>/edit/", views.warning_edit, name="warning_edit"),
    path("warnings/<int:pk>/update/", views.warning_update, name="warning_update"),
    path("warnings/<int:pk>/<slug:action>/", views.warning_action, name="warning_action"),
    path("tasks/", disposal.task_list, name="task_list"),
    path("tasks/overdue/", disposal.overdue_board, name="disposal_overdue"),
    path("tasks/<int:pk>/", disposal.task_detail, name="task_detail"),
    path("tasks/<int:pk>/feedback/", disposal.task_feedback, name="task_feedback"),
    path("tasks/<int:pk>/reassign/", disposal.task_reassign, name="task_reassign"),
    path("tasks/<int:pk>/routes/", disposal.task_add_route, name="task_add_route"),
    path("tasks/<int:pk>/routes/<int:route_pk>/", disposal.route_detail, name="task_route"),
    path(
        "tasks/<int:pk>/routes/<int:route_pk>/result/",
        disposal.route_result,
        name="task_route_result",
    ),
    path(
        "tasks/<int:pk>/routes/<int:route_pk>/follow-up/",
        disposal.route_follow_up,
        name="task_follow_up",
    ),
    path(
        "tasks/<int:pk>/routes/<int:route_pk>/recall/",
        disposal.recall_progress,
        name="task_recall_progress",
    ),
    path(
        "tasks/<int:pk>/attachments/<int:attachment_pk>/",
        disposal.feedback_attachment,
        name="task_attachment",
    ),
    path("tasks/<int:pk>/<slug:action>/", disposal.task_action, name="task_action"),
    path("tracking/", disposal.tracking_list, name="tracking_list"),
    path("tracking/<int:pk>/", disposal.tracking_detail, name="tracking_detail"),
    path("tracking/<int:pk>/check/", disposal.tracking_check, name="tracking_check"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<int:pk>/", profile.enterprise_profile, name="enterprise_detail"),
    path("stations/", views.station_list, name="station_list"),
    path("stations/new/", views.station_new, name="station_new"),
    path("stations/<int:pk>/", views.station_detail, name="station_detail"),
    path("stations/<int:pk>/status/", views.station_set_status, name="station_set_status"),
    path("stations/<int:pk>/token/", views.station_token, name="station_token"),
    path("intake/", views.intake, name="intake"),
    path("quarantine/", views.quarantine_list, name="quarantine_list"),
    path("quarantine/<int:pk>/", views.quarantine_detail, name="quarantine_detail"),
    path("quarantine/<int:pk>/replay/", views.quarantine_replay, name="quarantine_replay"),
    path("quarantine/<int:pk>/dismiss/", views.quarantine_dismiss, name="quarantine_dismiss"),
    path("audit/", views.audit_list, name="audit_list"),
    path("public/advisories/", public.advisory_list, name="public_advisories"),
    path("public/advisories/<int:pk>/", public.advisory_detail, name="public_advisory"),
    path(
        "public/advisories/<int:pk>/photos/<int:photo_pk>/",
        public.advisory_photo,
        name="public_photo",
    ),
    path("public/advisories/rss.xml", public.advisories_rss, name="advisories_rss"),
    path("public/advisories/atom.xml", public.advisories_atom, name="advisories_atom"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read-all/", inbox.inbox_read_all, name="inbox_read_all"),
    path("inbox/email/", inbox.inbox_email, name="inbox_email"),
    path("inbox/<int:pk>/read/", inbox.inbox_read, name="inbox_read"),
    path("inbox/<int:pk>/open/", inbox.inbox_open, name="inbox_open"),
    path("inbox/deliveries/", inbox.delivery_list, name="delivery_list"),
    path("inbox/deliveries/<int:pk>/retry/", inbox.delivery_retry, name="delivery_retry"),
]

# 长三角 (Yangtze River Delta) sharing packages and partners (pqrisk/web/exchange_pages.py).
from . import exchange_pages  # noqa: E402

urlpatterns += [
    path("exchange/yrd/", exchange_pages.exchange_list, name="exchange_list"),
    path("exchange/yrd/import/", exchange_pages.exchange_import, name="exchange_import"),
    path("exchange/yrd/<int:pk>/", exchange_pages.exchange_detail, name="exchange_detail"),
    path(
        "exchange/yrd/<int:pk>/download/",
        exchange_pages.exchange_download,
        name="exchange_download",
    ),
    path(
        "exchange/yrd/export/<int:warning_pk>/",
        exchange_pages.exchange_export,
        name="exchange_export",
    ),
    path("exchange/yrd/partners/", exchange_pages.exchange_partners, name="exchange_partners"),
    path(
        "exchange/yrd/partners/<int:pk>/active/",
        exchange_pages.exchange_partner_active,
        name="exchange_partner_active",
    ),
]

# 企业匹配复核: the review queue of record-to-enterprise/product matches (pqrisk/web/matching.py).
from . import matching as matching_pages  # noqa: E402

urlpatterns += [
    path("matching/", matching_pages.matching_queue, name="matching_queue"),
    path("matching/<int:pk>/confirm/", matching_pages.matching_confirm, name="matching_confirm"),
    path("matching/<int:pk>/reject/", matching_pages.matching_reject, name="matching_reject"),
]

# Supervision by risk: credit grades, spot-check plans, triggered inspections, measures
# (pqrisk/web/supervision.py).
from . import supervision as supervision_pages  # noqa: E402

urlpatterns += [
    path("supervision/grades/", supervision_pages.grade_list, name="supervision_grade_list"),
    path(
        "supervision/grades/<int:pk>/",
        supervision_pages.grade_detail,
        name="supervision_grade_detail",
    ),
    path(
        "supervision/grades/<int:pk>/recompute/",
        supervision_pages.grade_recompute,
        name="supervision_grade_recompute",
    ),
    path(
        "supervision/grades/<int:pk>/measures/",
        supervision_pages.measure_create,
        name="supervision_measure_create",
    ),
    path("supervision/measures/", supervision_pages.measure_list, name="supervision_measure_list"),
    path("supervision/plans/", supervision_pages.plan_list, name="supervision_plan_list"),
    path("supervision/plans/new/", supervision_pages.plan_create, name="supervision_plan_create"),
    path(
        "supervision/plans/<int:pk>/",
        supervision_pages.plan_detail,
        name="supervision_plan_detail",
    ),
    path(
        "supervision/plans/<int:pk>/export.xlsx",
        supervision_pages.plan_export,
        name="supervision_plan_export",
    ),
    path("supervision/inspections/", supervision_pages.task_list, name="supervision_task_list"),
    path(
        "supervision/inspections/<int:pk>/close/",
        supervision_pages.task_close,
        name="supervision_task_close",
    ),
]

# 风险交流 (risk communication records: interviews, popular science, media briefings;
# pqrisk/web/communication.py).
from . import communication  # noqa: E402

urlpatterns += [
    path("communication/", communication.communication_list, name="communication_list"),
    path("communication/new/", communication.communication_new, name="communication_new"),
    path(
        "communication/<int:pk>/", communication.communication_detail, name="communication_detail"
    ),
    path(
        "communication/<int:pk>/edit/", communication.communication_edit, name="communication_edit"
    ),
    path(
        "communication/<int:pk>/attachment/",
        communication.communication_attachment,
        name="communication_attachment",
    ),
]

# 综合看板 (pqrisk/web/dashboard.py; data: pqrisk/dashboard/services.py).
from . import dashboard  # noqa: E402

urlpatterns += [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/panels/<slug:name>/", dashboard.dashboard_panel, name="dashboard_panel"),
    path(
        "dashboard/download/<slug:name>.<slug:fmt>",
        dashboard.dashboard_download,
        name="dashboard_download",
    ),
]

# 《产品质量安全资讯》 bulletins (pqrisk/web/bulletins.py).
from . import bulletins  # noqa: E402

urlpatterns += [
    path("bulletins/", bulletins.bulletin_list, name="bulletin_list"),
    path("bulletins/new/", bulletins.bulletin_new, name="bulletin_new"),
    path("bulletins/<int:pk>/", bulletins.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", bulletins.bulletin_edit, name="bulletin_edit"),
    path(
        "bulletins/<int:pk>/regenerate/",
        bulletins.bulletin_regenerate,
        name="bulletin_regenerate",
    ),
    path(
        "bulletins/<int:pk>/versions/<int:number>/<slug:fmt>/",
        bulletins.bulletin_download,
        name="bulletin_download",
    ),
    path("bulletins/<int:pk>/<slug:action>/", bulletins.bulletin_action, name="bulletin_action"),
]

# 境外通报: foreign recall alerts, their review and 立案 (pqrisk/web/foreign.py).
from . import foreign  # noqa: E402

urlpatterns += [
    path("foreign/", foreign.foreign_list, name="foreign_list"),
    path("foreign/export.<slug:fmt>", foreign.foreign_export, name="foreign_export"),
    path("foreign/review/", foreign.foreign_review, name="foreign_review"),
    path("foreign/<int:pk>/", foreign.foreign_detail, name="foreign_detail"),
    path("foreign/<int:pk>/case/", foreign.foreign_case, name="foreign_case"),
    path("foreign/<int:pk>/aliases/", foreign.foreign_alias_add, name="foreign_alias_add"),
    path(
        "foreign/matches/<int:pk>/confirm/",
        foreign.foreign_match_confirm,
        name="foreign_match_confirm",
    ),
    path(
        "foreign/matches/<int:pk>/reject/",
        foreign.foreign_match_reject,
        name="foreign_match_reject",
    ),
]
