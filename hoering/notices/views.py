"""placeholder"""
from hoering.notices import bp  # noqa: F401
from hoering.notices.models import UrgentNotice  # noqa: F401
