"""A traffic simulator: Istio's request metrics for what the Argo CD simulator deployed, for a Prometheus.

It plays the mesh a real cluster would have: each deployed workload that takes traffic gets its share of a
steady request rate (by the routing resources' weights, a Service's selector, or replica ratios:
:mod:`.routing`), answered well or badly by the image it runs, and counted the way Istio's proxies count
(``istio_requests_total``, ``istio_request_duration_milliseconds``: :mod:`.metrics`). So an analysis written
for Argo Rollouts' Istio templates reads the canary's and the stable's numbers unchanged. :mod:`.simulator`
holds the server.
"""

from promoter.sandbox.traffic.simulator import CONTENT_TYPE, Deployed, Flow, Options, TrafficSimulator

__all__ = ["CONTENT_TYPE", "Deployed", "Flow", "Options", "TrafficSimulator"]
