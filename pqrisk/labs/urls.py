from django.urls import path

from . import views

app_name = "labs"

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("new/", views.task_new, name="task_new"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/purchase/", views.task_purchase, name="task_purchase"),
    path("<int:pk>/samples/new/", views.sample_new, name="sample_new"),
    path("<int:pk>/results/import/", views.results_import, name="results_import"),
    path("<int:pk>/rapid-tests/new/", views.rapid_new, name="rapid_new"),
    path("<int:pk>/<slug:action>/", views.task_action, name="task_action"),
    path("samples/<int:pk>/custody/new/", views.custody_new, name="custody_new"),
    path("samples/<int:pk>/results/new/", views.result_new, name="result_new"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/<slug:action>/", views.lead_action, name="lead_action"),
]
