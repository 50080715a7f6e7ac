from django.urls import path

from . import views

app_name = "warnings"

urlpatterns = [
    path("<int:pk>/document/<slug:mode>.docx", views.document_docx, name="document_docx"),
    path("<int:pk>/document/<slug:mode>.pdf", views.document_pdf, name="document_pdf"),
    path("<int:pk>/recipients/", views.add_recipient, name="add_recipient"),
    path(
        "<int:pk>/recipients/<int:recipient_pk>/resend/",
        views.resend_recipient,
        name="resend_recipient",
    ),
    path("<int:pk>/targets/", views.targets, name="targets"),
    path("<int:pk>/photos/", views.add_photo, name="add_photo"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    path("<int:pk>/photos/<int:photo_pk>/remove/", views.remove_photo, name="remove_photo"),
    path("receipt/<slug:token>/", views.receipt, name="receipt"),
    path("receipt/<slug:token>/document.docx", views.receipt_document, name="receipt_document"),
]
