"""API for plan-change requests: the first tenant-owned resource, and the pattern later apps follow."""

from django.utils.translation import gettext as _
from rest_framework import mixins, serializers

from koongo.accounts import selectors, services
from koongo.accounts.models import Plan, PlanChangeRequest
from koongo.api import MerchantViewSet


class PlanChangeRequestSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(source="requested_plan", slug_field="code", queryset=Plan.objects.all())

    class Meta:
        model = PlanChangeRequest
        fields = ["id", "plan", "message", "created_at", "handled_at"]
        read_only_fields = ["created_at", "handled_at"]


class PlanChangeRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    MerchantViewSet,
):
    """Ask for another plan; an open request can be edited or withdrawn until an admin handles it."""

    serializer_class = PlanChangeRequestSerializer

    def merchant_queryset(self):
        return selectors.plan_requests_for(self.merchant)

    def perform_create(self, serializer):
        user = self.request.user if self.request.user.is_authenticated else None
        serializer.instance = services.plan_change_request(
            merchant=self.merchant,
            user=user,
            plan=serializer.validated_data["requested_plan"],
            message=serializer.validated_data.get("message", ""),
        )

    def perform_update(self, serializer):
        if serializer.instance.handled_at:
            raise serializers.ValidationError({"plan": _("This request was already handled.")})
        serializer.save()

    def perform_destroy(self, instance):
        if instance.handled_at:
            raise serializers.ValidationError({"plan": _("This request was already handled.")})
        instance.delete()


api_routes = [("plan-requests", PlanChangeRequestViewSet, "plan-request")]
