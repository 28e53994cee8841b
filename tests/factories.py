"""factory-boy factories for the tenants, users and keys that most tests need."""

import factory
from django.contrib.auth import get_user_model

from koongo.accounts.models import Membership, Merchant, Plan, Role
from koongo.accounts.plans import seed_plans


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.LazyAttribute(lambda u: u.username)
    password = factory.django.Password("pass-word-123")


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Merchant {n}")
    # Transactional tests (browser, races) flush the seeded plans, so they are re-seeded on demand.
    plan = factory.LazyFunction(lambda: Plan.objects.filter(code="business").first() or seed_plans(Plan)["business"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = Role.OWNER
