"""One cog per concern; each translates Discord events into calls of the core."""
