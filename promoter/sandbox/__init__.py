"""Stand-ins for the outside systems that cannot run here: a GitHub-compatible forge and an Argo CD simulator.

They are part of the product (``promoter sandbox up``): users try promoter on a copy of their own config
repo without touching GitHub or a cluster. The bot talks to them over HTTP exactly as to the real services.
"""
