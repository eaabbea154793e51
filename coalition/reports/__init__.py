"""The report archive: reports, their files (content-addressed), search, feeds."""
