"""The model inventory: every model and version in the store, with its state (docs/inventory.md)."""

from governance.inventory.rows import InventoryRow, model_inventory

__all__ = ["InventoryRow", "model_inventory"]
