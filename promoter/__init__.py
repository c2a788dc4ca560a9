"""promoter: a GitOps promotion bot that works only through pull requests on the config repo."""

__version__ = "0.1.0"
