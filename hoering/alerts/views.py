"""placeholder"""
from hoering.alerts import bp  # noqa: F401
from hoering.alerts.models import AlertSubscription  # noqa: F401
