"""The web process: GraphQL over HTTP and websockets, the HTMX pages, media, health."""
