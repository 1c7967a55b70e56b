"""knownfix: match pasted errors and symptom descriptions against a curated knowledge base of fixes."""

__version__ = "0.1.0"
