import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
application = get_wsgi_application()

from tousu.core.serving import serving_ready  # noqa: E402 - needs the apps loaded

serving_ready()
