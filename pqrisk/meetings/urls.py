from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_new, name="meeting_new"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/agenda/", views.agenda_add_case, name="agenda_add_case"),
    path("<int:pk>/agenda/signal/", views.agenda_add_signal, name="agenda_add_signal"),
    path("<int:pk>/agenda/<int:item_pk>/remove/", views.agenda_remove, name="agenda_remove"),
    path("<int:pk>/agenda/<int:item_pk>/decision/", views.decision_edit, name="decision_edit"),
    path("<int:pk>/participants/", views.participant_add, name="participant_add"),
    path(
        "<int:pk>/participants/<int:participant_pk>/attendance/",
        views.participant_attendance,
        name="participant_attendance",
    ),
    path("<int:pk>/minutes/", views.minutes, name="minutes"),
    path("<int:pk>/<slug:action>/", views.meeting_action, name="meeting_action"),
]
