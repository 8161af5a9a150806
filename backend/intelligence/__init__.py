"""Music intelligence: genre models trained here from open corpora and creators' own MIDI, generation,
harmonisation, arrangement, rendering, restyling, personal models, auto-tagging, originality and
licence hygiene. Every model says what it learned from; every output says which model and seed made it."""
