"""Technical documentation rendered from the store: EU AI Act Annex IV (docs/annex-iv.md)."""
