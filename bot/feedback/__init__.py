"""Feedback: votes on replies, and the fix rates they move. The rate arithmetic is pure."""
