from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tousu.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Groups need the permissions that Django creates on each app's post_migrate, so
        # the role groups are brought up to date after the last app has had its turn.
        post_migrate.connect(_roles_sync_after_last_app, weak=False)
        # Logins happen in Django's own views (the login page, the admin): its signals are
        # the one place every success and failure passes, so they go to the audit log here.
        from django.contrib.auth import signals

        from tousu.accounts.logins import login_failed, login_succeeded

        signals.user_logged_in.connect(login_succeeded, weak=False)
        signals.user_login_failed.connect(login_failed, weak=False)


def _roles_sync_after_last_app(sender, **kwargs) -> None:
    from django.apps import apps

    from tousu.accounts.services import roles_sync

    # post_migrate is sent only for apps with models, in INSTALLED_APPS order.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is with_models[-1]:
        roles_sync()
