"""The imperative shell around the decision core: observe, decide, execute, record (DESIGN.md §10)."""
