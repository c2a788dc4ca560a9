"""A realistic 5 KB, 5-document manifest for the editor benchmark."""

from __future__ import annotations

DOCUMENTS = [
    """\
# Checkout service: Deployment managed by promoter.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
  labels:
    app.kubernetes.io/name: checkout
    app.kubernetes.io/version: "1.4.2"
spec:
  replicas: 6
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  selector:
    matchLabels:
      app.kubernetes.io/name: checkout
  template:
    metadata:
      labels:
        app.kubernetes.io/name: checkout
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: checkout
      terminationGracePeriodSeconds: 45
      initContainers:
        - name: migrate
          image: ghcr.io/acme/checkout:1.4.2
          args: ["migrate", "--to", "latest"]
      containers:
        - name: app
          image: ghcr.io/acme/checkout:1.4.2   # promoted by promoter
          ports:
            - {name: http, containerPort: 8080}
            - {name: metrics, containerPort: 9090}
          env:
            - name: LOG_LEVEL
              value: info
            - name: FEATURE_NEW_CART
              value: "false"
          readinessProbe:
            httpGet: {path: /ready, port: http}
            periodSeconds: 5
          livenessProbe:
            httpGet: {path: /live, port: http}
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {memory: 512Mi}
          lifecycle:
            preStop:
              exec: {command: ["sleep", "10"]}
        - name: envoy
          image: envoyproxy/envoy:v1.31.0
          args: ["-c", "/etc/envoy/envoy.yaml"]
""",
    """\
apiVersion: v1
kind: Service
metadata:
  name: checkout
  namespace: shop
spec:
  selector:
    app.kubernetes.io/name: checkout
  ports:
    - name: http
      port: 80
      targetPort: http
""",
    """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: checkout
  namespace: shop
spec:
  hosts:
    - checkout.shop.svc.cluster.local
  http:
    - name: canary-header
      match:
        - headers:
            x-canary: {exact: "always"}
      route:
        - destination: {host: checkout, subset: canary}
    - name: primary
      retries: {attempts: 3, perTryTimeout: 2s}
      route:
        - destination:
            host: checkout
            subset: stable
          weight: 100
        - destination:
            host: checkout
            subset: canary
          weight: 0
""",
    """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: checkout-config
  namespace: shop
data:
  FEATURE_FLAGS: "new-cart=false,fast-pay=true"
  config.yaml: |
    server:
      port: 8080
      timeout: 30s
    cache:
      ttl: 300
      size: 10000
    upstreams:
      payments: http://payments.shop.svc:80
      inventory: http://inventory.shop.svc:80
""",
    """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: checkout
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: checkout
  minReplicas: 6
  maxReplicas: 30
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 70}
    - type: Pods
      pods:
        metric: {name: http_requests_per_second}
        target: {type: AverageValue, averageValue: "200"}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - {type: Percent, value: 10, periodSeconds: 60}
    scaleUp:
      stabilizationWindowSeconds: 0
      policies:
        - {type: Percent, value: 100, periodSeconds: 15}
        - {type: Pods, value: 4, periodSeconds: 15}
      selectPolicy: Max
# end of file
""",
]


def manifest(target_bytes: int = 5 * 1024) -> str:
    """The five documents, padded with comment lines in the last one up to about ``target_bytes``."""
    text = "---\n".join(DOCUMENTS)
    filler = 0
    while len(text.encode()) < target_bytes:
        text += f"# padding comment {filler:04d} keeps the manifest at the benchmark's size\n"
        filler += 1
    return text
