from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("dead-letters/", views.dead_letter_list, name="dead_letter_list"),
    path("dead-letters/<int:pk>/", views.dead_letter_detail, name="dead_letter_detail"),
    path("dead-letters/<int:pk>/retry/", views.dead_letter_retry, name="dead_letter_retry"),
    path("dead-letters/<int:pk>/discard/", views.dead_letter_discard, name="dead_letter_discard"),
]
