"""Mounted at the site root: the tenant's certificates under /certificates/, the public page at /verify/<code>."""

from django.urls import path, re_path

from duecourse.certificates import views

app_name = "certificates"
urlpatterns = [
    path("certificates/", views.certificate_list_view, name="list"),
    path("certificates/<int:certificate_id>/pdf/", views.certificate_pdf_view, name="pdf"),
    path("certificates/<int:certificate_id>/revoke/", views.certificate_revoke_view, name="revoke"),
    path("certificates/logo/", views.logo_image_view, name="logo"),
    path("certificates/logo/upload/", views.logo_upload_view, name="logo-upload"),
    path("certificates/logo/remove/", views.logo_remove_view, name="logo-remove"),
    # BASE_URL + /verify/<code> is printed on every certificate (and in its QR code): no trailing slash.
    re_path(r"^verify/(?P<code>[^/]{1,200})/?$", views.verify_view, name="verify"),
]
