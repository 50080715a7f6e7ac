from django.contrib import admin
from django.urls import include, path

from pqrisk.api import api

admin.site.site_header = "工业产品质量安全风险评估预警平台 · 管理后台"
admin.site.site_title = "pqrisk 管理后台"
admin.site.index_title = "基础数据与系统管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("pqrisk.accounts.urls")),
    path("experts/", include("pqrisk.experts.urls")),
    path("labs/", include("pqrisk.labs.urls")),
    path("meetings/", include("pqrisk.meetings.urls")),
    path("warnings/", include("pqrisk.warnings.urls")),
    path("graph/", include("pqrisk.graph.urls")),
    path("ops/", include("pqrisk.ops.urls")),
    path("", include("pqrisk.web.urls")),
]
