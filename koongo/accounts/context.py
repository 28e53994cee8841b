"""Template context: the active merchant, the user's memberships for the switcher, and the quota banner."""

from koongo.accounts.selectors import memberships_for
from koongo.accounts.services import quota_percent


def merchant_context(request):
    merchant = getattr(request, "merchant", None)
    if merchant is None:
        return {}
    percent = quota_percent(merchant)
    return {
        "merchant": merchant,
        "membership": request.membership,
        "memberships": memberships_for(request.user),
        "quota_percent": percent,
        "quota_banner": percent is not None and percent >= 80,
    }
