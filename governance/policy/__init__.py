"""Policies: the model (Policy, Rule, Waiver, Finding), loading and composition, CEL, the engine.

A regular package (it was a namespace package), so import contracts and tools that walk
packages see its modules.
"""
