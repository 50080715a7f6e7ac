from django.urls import path

from . import views

app_name = "warnings"

urlpatterns = [
    path("<int:pk>/document/<slug:mode>.docx", views.document_docx, name="document_docx"),
    path("<int:pk>/document/<slug:mode>.pdf", views.document_pdf, name="document_pdf"),
]
