"""The JSON bodies the GitHub API returns, built from the sandbox's records and its git repository.

Each function builds one GitHub object in the shape GitHub's OpenAPI description requires; they read and
change nothing, so handlers call them after gathering what to render.
"""
