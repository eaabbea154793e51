"""The action plan: objectives, action items tracked per fiscal year, and their history."""
