/**
 * Alloy's pipeline: the pods of this node (discovery.kubernetes), their log files under
 * /var/log/pods (the chart's `alloy.mounts.varlog`), CRI lines parsed, pushed to Loki.
 * Labels are kept few (namespace, pod, container, app) so Loki's index stays small.
 */
export function alloyConfig(lokiPushUrl: string): string {
  return `// Rendered by lib/monitoring/alloy-config.ts; do not edit in the cluster.
discovery.kubernetes "pods" {
  role = "pod"
  // The chart sets HOSTNAME to the node name: each DaemonSet pod tails its own node's pods.
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }
}

discovery.relabel "pod_logs" {
  targets = discovery.kubernetes.pods.targets

  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
  // /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
  rule {
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "/var/log/pods/*$1/*.log"
  }
}

local.file_match "pod_logs" {
  path_targets = discovery.relabel.pod_logs.output
}

loki.source.file "pod_logs" {
  targets    = local.file_match.pod_logs.targets
  forward_to = [loki.process.pod_logs.receiver]
}

loki.process "pod_logs" {
  stage.cri {}
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "${lokiPushUrl}"
  }
}
`;
}
