"""Model registries as the source of the model under review and the sink of its verdict.

MLflow (``model.uri: models:/NAME/VERSION`` or ``models:/NAME@ALIAS``; docs/registry.md):
:func:`governance.registry.source.resolve_registry_model` loads a registered version,
:func:`governance.registry.sink.write_back` tags it with the verdict and moves an alias.
"""
