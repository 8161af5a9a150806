"""The one Strawberry schema, sliced by domain: ``backend/graphql/<domain>/``."""
