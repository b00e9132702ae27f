"""Policies: the model, loading and composition, CEL expressions, the rule engine, waivers."""
