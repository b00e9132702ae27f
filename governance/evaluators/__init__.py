"""Evaluators compute evidence from the model's predictions; they never touch the store."""
