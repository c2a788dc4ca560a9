"""The REST endpoints, one module per area; each module's ``routes()`` lists its routes.

Handlers are synchronous functions from a :class:`~promoter.sandbox.github.endpoint.Call` to a
:class:`~promoter.sandbox.github.endpoint.Reply`; permission checks come first, then validation in
GitHub's order, then the change, then events.
"""
