"""The community in the API: profiles, releases, feeds, follows, notifications, verification."""

from backend.graphql.social.mutations import SocialMutations as Mutations
from backend.graphql.social.queries import SocialQueries as Queries
from backend.graphql.social.subscriptions import SocialSubscriptions as Subscriptions

__all__ = ["Mutations", "Queries", "Subscriptions"]
