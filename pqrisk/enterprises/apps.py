from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "pqrisk.enterprises"
    verbose_name = "企业与产品"
