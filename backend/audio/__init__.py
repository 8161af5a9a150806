"""The studio: audio assets, projects and their operation log, renders and exports."""
