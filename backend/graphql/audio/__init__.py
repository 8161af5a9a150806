from backend.graphql.audio.mutations import AudioMutations as Mutations
from backend.graphql.audio.queries import AudioQueries as Queries
from backend.graphql.audio.subscriptions import AudioSubscriptions as Subscriptions

__all__ = ["Mutations", "Queries", "Subscriptions"]
