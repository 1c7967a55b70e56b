"""Renderers: a reply model in, text or a Discord embed out. Pure functions."""
