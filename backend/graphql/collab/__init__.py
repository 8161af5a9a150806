from backend.graphql.collab.mutations import CollabMutations as Mutations
from backend.graphql.collab.queries import CollabQueries as Queries
from backend.graphql.collab.subscriptions import CollabSubscriptions as Subscriptions

__all__ = ["Mutations", "Queries", "Subscriptions"]
