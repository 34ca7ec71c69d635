// The package's face: every construct, props interface, handle and enum-like object users pass,
// by name. Internals (the registry's keys, renderers, parsers) stay in their files.
export { configError, describeProblem, pathOf, PlatformError, SynthError } from './core/errors';
export { runSynth, synthEntry } from './core/cli';
export type { RunOptions, SynthOutcome } from './core/cli';
export { reportProblem } from './core/problems';
export { didYouMean, propKeys, PropChecks, SYSTEM_NAMESPACES } from './core/validate';
export type { ProblemReport } from './core/errors';
export {
  checkName, hostToName, MANAGED_BY, NameRules, PART_OF, selectorLabels, standardLabels, suggestName,
} from './core/names';
export type { ComponentIdentity, NameRule } from './core/names';
export { pinnedImage } from './core/image';
export { helmChart, imageRef, minorOf, PINS } from './core/pins';
export type { ChartPin, ImagePin, ReleasePin } from './core/pins';
export type { PinnedImage } from './core/image';
export {
  resourceRequirements, restrictedContainerSecurityContext, restrictedPodSecurityContext, scratchVolume,
} from './core/security';
export type { ResourceSpec } from './core/security';
export { DatabaseEnvStyles } from './core/handles';
export type {
  CacheHandle, CacheOptions, CacheProvider, DatabaseEnvStyle, DatabaseHandle, DatabaseOptions,
  DatabaseProvider, SecretKeyReference, SecretValue, ServerEndpoint, ServiceConsumer,
} from './core/handles';
export { AcmeIssuers, IngressClasses, NamespacedConstruct, Platform } from './core/platform';
export type { AcmeIssuer, GitSource, IngressClass, PlatformProps, SynthStats } from './core/platform';
export { chartResources } from './core/helm-values';
export type { ArgoCdValues, CertManagerValues, ChartResources, TraefikValues } from './core/helm-values';
export {
  COMPARE_OPTIONS, dataProtection, FLUX_PRUNE, needsCrd, SYNC_OPTIONS, SYNC_WAVE, SyncWave,
} from './core/annotations';
export { APPS_PROJECT, ARGO_CD_CHART, ArgoCd, SYSTEM_PROJECT } from './gitops/argocd';
export type { ArgoCdProps, ArgoCdRepositoryCredentials } from './gitops/argocd';
export { CERT_MANAGER_CHART, CertManager } from './services/cert-manager';
export type { CertManagerProps } from './services/cert-manager';
export { IngressController, TRAEFIK_CHART, TraefikInstalls } from './services/ingress-controller';
export type { IngressControllerProps, TraefikInstall } from './services/ingress-controller';
export { forwardAuthOf, IngressRoute, registerForwardAuth, SSO_MIDDLEWARE } from './routing/ingress-route';
export type { ForwardAuthProvider, IngressRouteProps, RouteBackend } from './routing/ingress-route';
export { NovahostApp } from './apps/novahost-app';
export type {
  AppCacheProps, AppDatabaseProps, AppMetrics, AppService, AppServiceProps, NovahostAppProps, ProbeSpec,
  SecretEnvSource, ServiceRoute,
} from './apps/novahost-app';
export {
  KUBE_API_PORTS, NetworkPolicies, Peers, PRIVATE_RANGES, REASONS_ANNOTATION,
} from './network/network-policies';
export type { CidrPeer, NetworkPeer, NetworkPort, PodPeer, TrafficRule } from './network/network-policies';
export { toYaml, toYamlStream } from './core/yaml';
export {
  ALPINE_POSTGRES_UID, ARGO_HOOK, ARGO_HOOK_DELETE_POLICY, BACKUP_DIR, CONFIG_DIR, DATA_MOUNT,
  DEFAULT_ENCRYPT_IMAGE, DEFAULT_POSTGRES_IMAGE, DEFAULT_S3_UPLOAD_IMAGE, METRICS_PORT, MONITOR_PASSWORD_ENV, MONITOR_ROLE, PGDATA, PORT, PORT_NAME,
  POSTGRES_EXPORTER_IMAGE, POSTGRES_EXTENSIONS, PostgresDatabase, SharedPostgres, SOCKET_DIR, SQL_DIR,
  SUPERUSER,
} from './data/postgres/shared-postgres';
export { parseRestoreTime } from './data/postgres/restore-steps';
export type {
  PostgresBackup, PostgresPointInTimeRecovery, PostgresRestoreDrill, PostgresS3Upload, PostgresSettings, PostgresStorage, SharedPostgresProps,
} from './data/postgres/shared-postgres';
export {
  DEFAULT_REDIS_IMAGE, EvictionPolicies, HEALTH_CHECK_SCRIPT, Persistence, REDIS_EXPORTER_IMAGE, SharedRedis,
} from './data/redis/shared-redis';
export type {
  EvictionPolicy, PersistenceMode, RedisRestoreOptions, RedisS3Upload, SharedRedisBackup, SharedRedisProps,
} from './data/redis/shared-redis';
export {
  BUILDS_POD_SECURITY_REASON, BuildsNamespace, CLUSTER_AND_PRIVATE_RANGES,
} from './builds/builds-namespace';
export type { BuildPeer, BuildsNamespaceProps } from './builds/builds-namespace';
export {
  BuildContainers, BuildInputs, BuildJob, BuildJobTemplate, DEFAULT_BUILD_IMAGES, fillTemplate,
  TemplatePlaceholders,
} from './builds/build-job';
export type {
  BuildArtifacts, BuildCache, BuildDestination, BuildImages, BuildJobProps, BuildJobTemplateProps,
  BuildOptions, BuildSource, BuildTimeouts, RegistryBuildCache, VolumeBuildCache,
} from './builds/build-job';
export {
  assertCapacity, capacityConsumers, capacityReport, CHART_COMPONENTS, containerRequests, DEFAULT_CAPACITY,
  DEFAULT_SYSTEM_RESERVED, formatCapacityTable, podRequests, releasesFromApplications,
  UNKNOWN_CHART_ESTIMATE,
} from './checks/capacity';
export type { CapacityReport, ChartComponent, Consumer, NodeCapacity, Resources } from './checks/capacity';
// Loading placement registers the capacity synth check every Platform runs.
export { assertPlacement, formatPlacementTable, placementReport } from './checks/placement';
export { CHART_VOLUMES, formatCostTable, monthlyCost, volumeGiB } from './checks/cost';
export type { CostLine, MonthlyCost } from './checks/cost';
export type { PlacedNode, PlacementReport, UnplacedPod } from './checks/placement';
export { ClusterProfiles, DigitalOcean } from './cluster/profiles';
export type { DoksPool, DoksProps, K3sNodeProps, ManagedClusterProps, NodeResources } from './cluster/profiles';
export { nodeCount, singleNodeProfile } from './core/cluster';
export type { ClusterProfile, IngressExposure, NodePool } from './core/cluster';
export {
  ALL_POLICIES, BUILDKIT_EXCEPTIONS, CHART_PODS, EXCEPTIONS_POLICY, finding, formatFindings, objectRef,
  runPolicies,
} from './checks/policies';
export type { Finding, KubeObject, Policy, PolicyException } from './checks/policies';
export { defaultEnvName, findSecretUses, secretInventory, undeclaredUses } from './checks/secrets/inventory';
export type { InventoryKey, InventorySecret, SecretUse } from './checks/secrets/inventory';
export { inventoryTable, kubectlScript, valueVariable } from './checks/secrets/bootstrap';
export { EXTERNAL_SECRETS_CHART, ExternalSecrets } from './services/external-secrets';
export type {
  ExternalSecretsProps, ExternalSecretsValues, SecretStoreReference,
} from './services/external-secrets';
export {
  addScrapeTarget, DASHBOARD_LABEL, Datasources, DEFAULT_ALERT_OPTIONS, Monitoring, MONITORING_CHARTS,
  platformAlerts, prometheusOf,
} from './services/monitoring/monitoring';
export type {
  AlertOptions, AlertRule, GrafanaDatabaseOptions, GrafanaOptions, LokiOptions, MonitoringProps, PrometheusHandle,
  PrometheusOptions, ScrapeTargetProps,
} from './services/monitoring/monitoring';
export { assertGitOpsEngine, gitOpsEngineOf, gitOpsEngineProblem, gitOpsEngines } from './core/gitops-engine';
export type { GitOpsEngine } from './core/gitops-engine';
export { backupDeclarers, declareBackups } from './core/backups';
export type { BackupDeclarer, BackupPlan, BackupRow, RecoveryStep } from './core/backups';
export {
  apiGroupOf, CLUSTER_SCOPED_KINDS, manifestFile, NamespaceChart, PodSecurity,
} from './core/namespace-chart';
export type { NamespaceOptions, PodSecurityLevel } from './core/namespace-chart';
export type { HelmRelease } from './core/helm-releases';
export {
  cpuMillis, formatCpu, formatMemory, formatMemoryApprox, memoryBytes, parseCpu, parseMemory,
  parseQuantity,
} from './core/quantity';
export {
  Flux, FLUX_CONTROLLER_REQUESTS, FLUX_VERSION, HelmRepositoryObject, onlyFolder, withFluxControllers,
} from './gitops/flux';
export type { AutomatedImage, FluxImageAutomationProps, FluxProps, HelmRepositorySpec } from './gitops/flux';
export { imagePolicyMarker, ImageTags, renderImageFile } from './apps/image-tags';
export type { ImagePolicyMarker } from './apps/image-tags';
export {
  HelmChartConfig, K3S_SYSTEM_NAMESPACE, K3S_VERSION, k3sServerFlags, NodeStorage,
  REGISTRY_PASSWORD_PLACEHOLDER, renderCloudInit, renderRegistriesYaml, withReserved,
} from './cluster/k3s';
export type {
  CloudInitProps, HelmChartConfigSpec, NodeStorageProfile, RegistriesYamlProps,
} from './cluster/k3s';
export { Longhorn, LONGHORN_CHART, RecurringJob } from './addons/longhorn';
export type {
  LonghornBackupTarget, LonghornProps, LonghornSchedule, LonghornValues, RecurringJobSpec,
} from './addons/longhorn';
export { Registry, REGISTRY_IMAGE } from './addons/registry';
export type { RegistryProps } from './addons/registry';
export { Authelia, AUTHELIA_CHART, AutheliaPolicies } from './addons/sso';
export type { AutheliaPolicy, AutheliaProps, AutheliaValues } from './addons/sso';
export {
  diff, formatPlan, IMMUTABLE_FIELDS, plan, provisionedDatabases, refOf, STATEFUL_KINDS,
} from './checks/plan';
export type {
  DestructiveChange, Manifests, NamespacePlan, ObjectChange, Plan, PlanOptions, PlanWarning,
} from './checks/plan';
export { loadManifests, parseManifest } from './checks/policies/load';
export { templateJobs } from './builds/template-jobs';
export { configureVolumeSnapshots, KUBECTL_IMAGE, RETAINED_SNAPSHOT_CLASS, snapshotScript, SnapshotLabels, volumeSnapshotsOf } from './data/volume-snapshots';
export type { ResolvedSnapshots, SnapshotScriptOptions, VolumeSnapshotSettings } from './data/volume-snapshots';
export { volumeRestoreSteps } from './data/volume-restore';
export type { VolumeRestoreSource } from './data/volume-restore';
export type { VolumeSnapshotSupport } from './core/cluster';
