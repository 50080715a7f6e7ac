from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "pqrisk.reference"
    verbose_name = "基础数据"
