from backend.graphql.billing.mutations import BillingMutations as Mutations
from backend.graphql.billing.queries import BillingQueries as Queries

__all__ = ["Mutations", "Queries"]
