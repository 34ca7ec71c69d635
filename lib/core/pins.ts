// Every version the platform pins, in one file: container images, Helm charts, k3s, Flux and the
// CRD sources. Renovate reads the `// renovate:` comment above each entry (renovate.json5), and
// `npm run components` writes the README's components table from it; a test fails when a pinned
// version shows up anywhere else in lib/.

/** A container image, pinned to a tag (and a digest where the publisher re-tags rebuilds). */
export interface ImagePin {
  readonly repository: string;
  readonly tag: string;
  /** `sha256:<64 hex>`. @default - the tag alone */
  readonly digest?: string;
  /** Name in the README's components table. */
  readonly component: string;
  /** SPDX expression of what runs (`LicenseRef-*` where SPDX has no identifier). */
  readonly licence: string;
  /** Where the image is built. */
  readonly source: string;
}

/** A Helm chart, pinned to an exact version; spread `helmChart(pin)` into a Helm release. */
export interface ChartPin {
  readonly repoURL: string;
  readonly chart: string;
  readonly version: string;
  readonly component: string;
  /** SPDX expression of the software the chart deploys. */
  readonly licence: string;
  readonly source: string;
}

/** A release of something that is neither an image nor a chart (k3s, Flux, CRD files). */
export interface ReleasePin {
  readonly version: string;
  readonly component: string;
  readonly licence: string;
  readonly source: string;
}

/*
 * Layout rules the Renovate managers depend on: the `// renovate:` comment sits directly above
 * its entry, and each entry is one line with `tag:` (images), `repoURL:`, `chart:`, `version:`
 * in that order (charts), or `version:` (releases).
 */
export const PINS = {
  images: {
    // renovate: datasource=docker depName=timescale/timescaledb
    postgres: { repository: 'timescale/timescaledb', tag: '2.29.2-pg17', component: 'TimescaleDB on PostgreSQL 17 (the minor the image was built with)', licence: 'Apache-2.0 AND LicenseRef-Timescale AND PostgreSQL', source: 'https://github.com/timescale/timescaledb-docker' },
    // renovate: datasource=docker depName=quay.io/prometheuscommunity/postgres-exporter
    postgresExporter: { repository: 'quay.io/prometheuscommunity/postgres-exporter', tag: 'v0.20.1', component: 'postgres_exporter', licence: 'Apache-2.0', source: 'https://github.com/prometheus-community/postgres_exporter' },
    // Valkey 8.1: BSD-3-Clause, forked from Redis 7.2 and keeping its ACL categories (README, Redis).
    // renovate: datasource=docker depName=valkey/valkey
    redis: { repository: 'valkey/valkey', tag: '8.1.9-alpine', component: 'Valkey (SharedRedis)', licence: 'BSD-3-Clause', source: 'https://github.com/valkey-io/valkey-container' },
    // renovate: datasource=docker depName=oliver006/redis_exporter
    redisExporter: { repository: 'oliver006/redis_exporter', tag: 'v1.88.0', component: 'redis_exporter', licence: 'MIT', source: 'https://github.com/oliver006/redis_exporter' },
    // renovate: datasource=docker depName=moby/buildkit
    buildkit: { repository: 'moby/buildkit', tag: 'v0.32.2-rootless', component: 'BuildKit (rootless)', licence: 'Apache-2.0', source: 'https://github.com/moby/buildkit' },
    // Tags follow Alpine's git package and are rebuilt weekly under the same name.
    // renovate: datasource=docker depName=alpine/git
    git: { repository: 'alpine/git', tag: 'v2.54.0', component: 'alpine/git (build clone)', licence: 'GPL-2.0-only', source: 'https://github.com/alpine-docker/git' },
    // Backups and build artifacts alike. Since 2.23 it sends checksums that some S3-compatible
    // stores reject: every container running it gets AWS_CHECKSUM_ENV.
    // renovate: datasource=docker depName=amazon/aws-cli
    awsCli: { repository: 'amazon/aws-cli', tag: '2.36.7', component: 'AWS CLI (S3 uploads)', licence: 'Apache-2.0', source: 'https://github.com/aws/aws-cli' },
    // Scheduled volume snapshots (lib/data/volume-snapshots.ts): kubectl with sh and jq. Tags are
    // kubectl releases, rebuilt under the same name (like alpine/git); this tag is not checked
    // against Docker Hub from here. kubectl must be within one minor of the API server.
    // renovate: datasource=docker depName=alpine/k8s
    kubectl: { repository: 'alpine/k8s', tag: '1.34.2', component: 'alpine/k8s (kubectl, scheduled volume snapshots)', licence: 'Apache-2.0 AND MIT AND GPL-2.0-only', source: 'https://github.com/alpine-docker/k8s' },
    // renovate: datasource=docker depName=registry
    registry: { repository: 'registry', tag: '3.1.1', component: 'CNCF Distribution registry', licence: 'Apache-2.0', source: 'https://github.com/distribution/distribution' },
    // Set over the argo-cd chart's appVersion (values global.image.tag).
    // renovate: datasource=docker depName=quay.io/argoproj/argocd
    argoCd: { repository: 'quay.io/argoproj/argocd', tag: 'v3.4.8', component: 'Argo CD', licence: 'Apache-2.0', source: 'https://github.com/argoproj/argo-cd' },
    // Set over the authelia chart's appVersion (values image.tag; the chart's image.registry and
    // image.repository stay ghcr.io and authelia/authelia).
    // renovate: datasource=docker depName=ghcr.io/authelia/authelia
    authelia: { repository: 'ghcr.io/authelia/authelia', tag: '4.39.20', component: 'Authelia', licence: 'Apache-2.0', source: 'https://github.com/authelia/authelia' },
  },
  charts: {
    // renovate: datasource=helm depName=argo-cd
    argoCd: { repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', version: '10.1.1', component: 'argo-cd chart', licence: 'Apache-2.0', source: 'https://github.com/argoproj/argo-helm' },
    // renovate: datasource=helm depName=cert-manager
    certManager: { repoURL: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.21.1', component: 'cert-manager', licence: 'Apache-2.0', source: 'https://github.com/cert-manager/cert-manager' },
    // renovate: datasource=helm depName=traefik
    traefik: { repoURL: 'https://traefik.github.io/charts', chart: 'traefik', version: '41.3.0', component: 'Traefik chart (TraefikInstalls.HELM_CHART)', licence: 'MIT', source: 'https://github.com/traefik/traefik-helm-chart' },
    // renovate: datasource=helm depName=external-secrets
    externalSecrets: { repoURL: 'https://charts.external-secrets.io', chart: 'external-secrets', version: '2.9.0', component: 'External Secrets Operator', licence: 'Apache-2.0', source: 'https://github.com/external-secrets/external-secrets' },
    // renovate: datasource=helm depName=kube-prometheus-stack
    kubePrometheusStack: { repoURL: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '88.5.3', component: 'kube-prometheus-stack (Grafana inside: AGPL-3.0-only)', licence: 'Apache-2.0 AND AGPL-3.0-only', source: 'https://github.com/prometheus-community/helm-charts' },
    // renovate: datasource=helm depName=loki
    loki: { repoURL: 'https://grafana-community.github.io/helm-charts', chart: 'loki', version: '18.11.0', component: 'Loki', licence: 'AGPL-3.0-only', source: 'https://github.com/grafana-community/helm-charts' },
    // renovate: datasource=helm depName=alloy
    alloy: { repoURL: 'https://grafana.github.io/helm-charts', chart: 'alloy', version: '1.11.1', component: 'Grafana Alloy', licence: 'Apache-2.0', source: 'https://github.com/grafana/alloy' },
    // renovate: datasource=helm depName=longhorn
    longhorn: { repoURL: 'https://charts.longhorn.io', chart: 'longhorn', version: '1.12.1', component: 'Longhorn', licence: 'Apache-2.0', source: 'https://github.com/longhorn/longhorn' },
    // renovate: datasource=helm depName=authelia
    authelia: { repoURL: 'https://charts.authelia.com', chart: 'authelia', version: '0.11.5', component: 'authelia chart', licence: 'Apache-2.0', source: 'https://github.com/authelia/chartrepo' },
  },
  releases: {
    // renovate: datasource=github-releases depName=k3s-io/k3s versioning=regex:^v(?<major>\d+)\.(?<minor>\d+)\.(?<patch>\d+)\+k3s(?<build>\d+)$
    k3s: { version: 'v1.36.5+k3s1', component: 'k3s', licence: 'Apache-2.0', source: 'https://github.com/k3s-io/k3s' },
    // Not chosen here: the chart k3s bundles with the release above, for TraefikInstalls.K3S_BUNDLED.
    // Third-party reports show traefik-40.1.4+up40.1.0 on k3s v1.36.3 and v1.35.7; for the release
    // above it is not checked against k3s' manifests/traefik.yaml. ../shared/charts has only
    // 37.1.1+up37.1.0 (what v1.33.6+k3s1 bundled), so the offline render of K3S_BUNDLED still
    // uses that one. Renovate does not track this entry: it moves with k3s.
    k3sBundledTraefikChart: { version: '40.1.4+up40.1.0', component: 'Traefik chart bundled with k3s', licence: 'MIT', source: 'https://github.com/k3s-io/k3s-charts' },
    // `flux install --version` takes this; FLUX_VERSION is its minor, the CRDs' release line.
    // renovate: datasource=github-releases depName=fluxcd/flux2
    flux: { version: 'v2.9.4', component: 'Flux', licence: 'Apache-2.0', source: 'https://github.com/fluxcd/flux2' },
  },
  /** Where the CRD files `npm run import` reads come from (cdk8s.yaml names each at this tag). */
  crds: {
    // renovate: datasource=github-releases depName=argoproj/argo-cd
    argoCd: { version: 'v3.5.1', component: 'CRDs: Argo CD Application, AppProject (v1alpha1)', licence: 'Apache-2.0', source: 'https://github.com/argoproj/argo-cd' },
    // renovate: datasource=github-releases depName=cert-manager/cert-manager
    certManager: { version: 'v1.21.1', component: 'CRDs: cert-manager Certificate, ClusterIssuer', licence: 'Apache-2.0', source: 'https://github.com/cert-manager/cert-manager' },
    // renovate: datasource=github-releases depName=traefik/traefik
    traefik: { version: 'v3.7.9', component: 'CRDs: Traefik Middleware', licence: 'MIT', source: 'https://github.com/traefik/traefik' },
    // renovate: datasource=github-releases depName=prometheus-operator/prometheus-operator
    prometheusOperator: { version: 'v0.93.0', component: 'CRDs: ServiceMonitor, PrometheusRule', licence: 'Apache-2.0', source: 'https://github.com/prometheus-operator/prometheus-operator' },
    // renovate: datasource=github-releases depName=external-secrets/external-secrets
    externalSecrets: { version: 'v2.9.0', component: 'CRDs: ExternalSecret, ClusterSecretStore', licence: 'Apache-2.0', source: 'https://github.com/external-secrets/external-secrets' },
    // The snapshot.storage.k8s.io CRDs (VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent)
    // whose v1 schemas the tests validate against (scripts/extract-snapshot-schemas.ts).
    // renovate: datasource=github-releases depName=kubernetes-csi/external-snapshotter
    externalSnapshotter: { version: 'v8.6.0', component: 'CRDs: VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent', licence: 'Apache-2.0', source: 'https://github.com/kubernetes-csi/external-snapshotter' },
    // renovate: datasource=github-releases depName=fluxcd/source-controller
    fluxSource: { version: 'v1.9.1', component: 'CRDs: Flux GitRepository', licence: 'Apache-2.0', source: 'https://github.com/fluxcd/source-controller' },
    // renovate: datasource=github-releases depName=fluxcd/kustomize-controller
    fluxKustomize: { version: 'v1.9.4', component: 'CRDs: Flux Kustomization', licence: 'Apache-2.0', source: 'https://github.com/fluxcd/kustomize-controller' },
    // renovate: datasource=github-releases depName=fluxcd/helm-controller
    fluxHelm: { version: 'v1.6.3', component: 'CRDs: Flux HelmRelease', licence: 'Apache-2.0', source: 'https://github.com/fluxcd/helm-controller' },
    // renovate: datasource=github-releases depName=fluxcd/image-reflector-controller
    fluxImageReflector: { version: 'v1.2.0', component: 'CRDs: Flux ImageRepository, ImagePolicy', licence: 'Apache-2.0', source: 'https://github.com/fluxcd/image-reflector-controller' },
    // renovate: datasource=github-releases depName=fluxcd/image-automation-controller
    fluxImageAutomation: { version: 'v1.2.1', component: 'CRDs: Flux ImageUpdateAutomation', licence: 'Apache-2.0', source: 'https://github.com/fluxcd/image-automation-controller' },
  },
} as const satisfies {
  readonly images: Record<string, ImagePin>;
  readonly charts: Record<string, ChartPin>;
  readonly releases: Record<string, ReleasePin>;
  readonly crds: Record<string, ReleasePin>;
};

/** `repository:tag`, or `repository:tag@digest` when a digest is pinned. */
export function imageRef(pin: ImagePin): string {
  return `${pin.repository}:${pin.tag}${pin.digest ? `@${pin.digest}` : ''}`;
}

/** What a Helm release needs of a chart pin (its table columns stay here). */
export function helmChart<P extends ChartPin>(pin: P): { readonly repoURL: P['repoURL']; readonly chart: P['chart']; readonly version: P['version'] } {
  return { repoURL: pin.repoURL, chart: pin.chart, version: pin.version };
}

/** The minor release line of a `vX.Y.Z` version: `v2.9.4` -> `v2.9`. */
export function minorOf(version: string): string {
  const m = /^(v?\d+\.\d+)\./.exec(version);
  if (!m) throw new Error(`pins: "${version}" is not a vX.Y.Z version`);
  return m[1];
}


/**
 * AWS CLI 2.23 and later compute CRC checksums on every S3 upload and validate them on download;
 * S3-compatible stores that predate those headers (older MinIO, Ceph RGW, R2, B2, ...) reject
 * such requests. `when_required` keeps what the CLI did before 2.23, which AWS S3 accepts too.
 */
export const AWS_CHECKSUM_ENV: ReadonlyArray<{ readonly name: string; readonly value: string }> = [
  { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
  { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
];
