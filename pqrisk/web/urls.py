from django.urls import path

from pqrisk.warnings import views as warning_views

from . import cases, feeds, views


app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("risk-infos/", views.riskinfo_list, name="riskinfo_list"),
    path("risk-infos/<int:pk>/", views.riskinfo_detail, name="riskinfo_detail"),
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
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
    path("warnings/<int:pk>/<slug:action>/", views.warning_action, name="warning_action"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/feedback/", views.task_feedback, name="task_feedback"),
    path("tasks/<int:pk>/<slug:action>/", views.task_action, name="task_action"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
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
    path("public/advisories/", views.public_advisories, name="public_advisories"),
    path("public/advisories/<int:pk>/", warning_views.public_advisory, name="public_advisory"),
    path(
        "public/advisories/<int:pk>/photos/<int:photo_pk>/",
        warning_views.public_photo,
        name="public_photo",
    ),
    path("public/advisories/rss.xml", feeds.AdvisoryFeed(), name="advisories_rss"),
    path("public/advisories/atom.xml", feeds.AdvisoryAtomFeed(), name="advisories_atom"),
]
