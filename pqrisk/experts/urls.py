from django.urls import path

from . import views

app_name = "experts"

urlpatterns = [
    path("", views.expert_list, name="expert_list"),
    path("new/", views.expert_new, name="expert_new"),
    path("<int:pk>/", views.expert_detail, name="expert_detail"),
    path("<int:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/draw/", views.case_draw, name="case_draw"),
    path("cases/<int:pk>/panel/", views.case_panel, name="case_panel"),
    path("cases/<int:pk>/aggregate/", views.case_aggregate, name="case_aggregate"),
    path("cases/<int:pk>/next-round/", views.case_next_round, name="case_next_round"),
    path("cases/<int:pk>/conclude/", views.case_conclude, name="case_conclude"),
    path("drawn/<int:pk>/respond/", views.respond, name="respond"),
    path("mine/", views.my_tasks, name="my_tasks"),
    path("mine/<int:pk>/", views.rate, name="rate"),
]
