"""API shapes of reconciliation runs and their findings."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from reconciliation.kinds import Fix
from reconciliation.models import Finding, ReconciliationRun


class ReconciliationRunSerializer(serializers.ModelSerializer):
    clean = serializers.BooleanField(source="is_clean", read_only=True, help_text="Finished and found nothing")

    class Meta:
        model = ReconciliationRun
        fields = [
            "id", "connection", "period_start", "period_end", "trigger", "status", "error", "counts", "findings_total", "clean",
            "remote_reads", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReconciliationRunCreateSerializer(serializers.Serializer):
    """Start a run now; the period defaults to the last 24 hours up to now."""

    connection = serializers.IntegerField(help_text="The Miinto connection's id")
    period_start = serializers.DateTimeField(required=False)
    period_end = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        end = attrs.get("period_end") or timezone.now()
        attrs["period_end"] = end
        attrs.setdefault("period_start", end - timedelta(days=1))
        return attrs


class FindingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    # A plain string: a blank choice field is documented as "oneOf" two enums that both hold "", which no answer can satisfy.
    fix = serializers.CharField(read_only=True, help_text="The fix offered: " + ", ".join(Fix.values[1:]) + '; "" to check by hand')
    fix_label = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id", "run", "connection", "kind", "kind_label", "message", "miinto_order_id", "miinto_return_id",
            "miinto_position_id", "store_ref", "order", "rma", "miinto_value", "store_value", "fix", "fix_label", "fixed_at",
            "fixed_by",
        ]  # fmt: skip
        read_only_fields = fields

    def get_fix_label(self, finding) -> str:
        return finding.get_fix_display() if finding.fix else ""
