from tousu.accounts.models import User
from tousu.notifications.choices import Channel
from tousu.notifications.models import Notification


def unread_count(user: User) -> int:
    return Notification.objects.filter(
        recipient=user, channel=Channel.IN_APP, read_at__isnull=True
    ).count()
