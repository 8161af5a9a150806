from backend.graphql.accounts.mutations import AccountMutations as Mutations
from backend.graphql.accounts.queries import AccountQueries as Queries

__all__ = ["Mutations", "Queries"]
