"""REST API of the team: members (invite by e-mail, change role, remove) and API keys (create shown once, list, revoke).

Every member and key may read; only owners (an owner's session or an owner API key) may change anything.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied as DrfPermissionDenied
from rest_framework.response import Response

from koongo.accounts import invitations, team
from koongo.accounts.models import ApiKeyRole, Invitation, Membership, MerchantApiKey, Role
from koongo.accounts.roles import PermissionDenied
from koongo.api import MerchantViewSet
from koongo.idempotency import IdempotentWritesMixin


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    joined_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "role", "joined_at"]
        read_only_fields = ["id", "email", "joined_at"]


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STAFF)


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.CharField(source="invited_by_label", read_only=True)
    expires_at = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_expires_at(self, invitation) -> str:
        return serializers.DateTimeField().to_representation(invitations.invitation_expires_at(invitation))


class ApiKeySerializer(serializers.ModelSerializer):
    # Keys are addressed by their public prefix: the primary key embeds the key's hash, which is never shown.
    id = serializers.CharField(source="prefix", read_only=True, help_text="The key's public prefix; also its address.")
    name = serializers.CharField(max_length=50)  # the model's `default=None` would make it optional
    created_at = serializers.DateTimeField(source="created", read_only=True)

    class Meta:
        model = MerchantApiKey
        fields = ["id", "name", "prefix", "role", "created_at", "last_used_at", "revoked"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself: shown in this answer only, never again.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = [*ApiKeySerializer.Meta.read_only_fields, "key"]


def _refused(error: Exception) -> Response:
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


class OwnerWritesMixin:
    """Reads for every member; writes answer 403 unless the actor is an owner (after the lookup, so foreign ids 404)."""

    def owner_only(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except PermissionDenied:
            raise DrfPermissionDenied(_("Only an owner of this merchant may manage members and API keys.")) from None


class MemberViewSet(
    OwnerWritesMixin,
    IdempotentWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    MerchantViewSet,
):
    """The merchant's members and their roles; POST invites an address by e-mail (owners only)."""

    serializer_class = MemberSerializer
    lookup_value_regex = r"\d+"  # so `members/invitations/` is never read as a member id

    def merchant_queryset(self):
        return Membership.objects.filter(merchant=self.merchant).select_related("user")

    @extend_schema(
        request=InviteSerializer,
        responses={201: InvitationSerializer, 409: None},
        examples=[OpenApiExample("Invite a staff member", value={"email": "ann@shop.example", "role": "staff"}, request_only=True)],
    )
    def create(self, request):
        """Send an invitation e-mail with a signed link valid 7 days; inviting the address again sends a new link."""
        payload = InviteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            invitation = self.owner_only(
                invitations.invitation_send, merchant=self.merchant, actor=request.actor,
                base_url=request.build_absolute_uri("/"), **payload.validated_data,
            )
        except invitations.AlreadyMember:
            return Response({"email": [_("This address already belongs to a member.")]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberRoleSerializer, responses={200: MemberSerializer, 409: None})
    def partial_update(self, request, pk=None):
        """Change a member's role (owners only); the last owner cannot step down."""
        membership = self.get_object()
        payload = MemberRoleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            self.owner_only(
                team.membership_role_change, merchant=self.merchant, actor=request.actor, membership=membership,
                role=payload.validated_data["role"],
            )
        except team.LastOwner as refusal:
            return _refused(refusal)
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None, 409: None})
    def destroy(self, request, pk=None):
        """Remove a member (owners only); the last owner cannot be removed."""
        membership = self.get_object()
        try:
            self.owner_only(team.membership_remove, merchant=self.merchant, actor=request.actor, membership=membership)
        except team.LastOwner as refusal:
            return _refused(refusal)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationViewSet(
    OwnerWritesMixin,
    IdempotentWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    MerchantViewSet,
):
    """Invitations not accepted yet (expired ones too, until withdrawn or sent again); DELETE withdraws one."""

    serializer_class = InvitationSerializer

    def merchant_queryset(self):
        return Invitation.objects.filter(merchant=self.merchant, accepted_at__isnull=True)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        invitation = self.get_object()
        self.owner_only(invitations.invitation_withdraw, merchant=self.merchant, actor=request.actor, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyViewSet(
    OwnerWritesMixin,
    IdempotentWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    MerchantViewSet,
):
    """API keys by name, prefix and role; POST creates one and shows it once, DELETE revokes it (owners only)."""

    serializer_class = ApiKeySerializer
    lookup_field = "prefix"
    lookup_url_kwarg = "id"

    def merchant_queryset(self):
        return MerchantApiKey.objects.filter(merchant=self.merchant)

    @extend_schema(
        request=ApiKeySerializer,
        responses={201: ApiKeyCreatedSerializer},
        examples=[OpenApiExample("A read-only key", value={"name": "BI export", "role": ApiKeyRole.VIEWER}, request_only=True)],
    )
    def create(self, request):
        payload = ApiKeySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key, plaintext = self.owner_only(team.api_key_issue, merchant=self.merchant, actor=request.actor, **payload.validated_data)
        return Response({**ApiKeySerializer(key).data, "key": plaintext}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, id=None):
        """Revoke the key: it answers 401 from the next request on and stays listed as revoked."""
        key = self.get_object()
        self.owner_only(team.api_key_withdraw, merchant=self.merchant, actor=request.actor, key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


team_api_routes = [
    ("members/invitations", InvitationViewSet, "member-invitation"),
    ("members", MemberViewSet, "member"),
    ("api-keys", ApiKeyViewSet, "api-key"),
]
