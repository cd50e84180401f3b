from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group robot")
    WEBHOOK = "webhook", _("JSON webhook")
    SMS = "sms", _("SMS (through the SMS gateway's webhook)")
    # A partner system's callback: the body is the JSON document itself, signed.
    CALLBACK = "callback", _("Signed callback to a partner system")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERING = "delivering", _("Delivering")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Failed")


WEBHOOK_CHANNELS = frozenset({Channel.WECOM, Channel.DINGTALK, Channel.FEISHU, Channel.WEBHOOK})
