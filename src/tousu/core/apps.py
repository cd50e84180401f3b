from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tousu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from tousu.core import config

        # A configuration token handed over by a request's authentication ends with the
        # request; the triggers that change it are put back after every migrate (a
        # SQLite table rebuild drops them).
        request_started.connect(config.request_boundary, dispatch_uid="core_config_start")
        request_finished.connect(config.request_boundary, dispatch_uid="core_config_end")
        post_migrate.connect(
            config.config_triggers_install, sender=self, dispatch_uid="core_config_triggers"
        )
