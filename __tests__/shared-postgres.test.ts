import { DatabaseEnvStyles, Monitoring, NovahostApp, PodSecurity } from '../lib';
import { provisioningSql } from '../lib/data/postgres/provisioning';
import { DEFAULT_S3_UPLOAD_IMAGE, SharedPostgres, SharedPostgresProps } from '../lib/data/postgres/shared-postgres';
import { allObjects, andSynth, findObject, routedPlatform, synthesize, testPlatform } from './support/platform';
import { canConnect } from './support/reachability';

const WEB = { image: 'ghcr.io/example/web:1.0.0', port: 3000 };

function setup(props: SharedPostgresProps = {}) {
  const platform = testPlatform();
  const postgres = new SharedPostgres(platform, 'postgres', props);
  const app = new NovahostApp(platform, 'novahost', {
    services: { web: { ...WEB, database: true } },
    database: { server: postgres, extensions: ['timescaledb', 'pgcrypto'] },
  });
  return { platform, postgres, app };
}

function expectError(fn: () => unknown, ...parts: string[]) {
  let message = '';
  try {
    andSynth(fn)();
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).not.toBe('');
  for (const p of parts) expect(message).toContain(p);
}

describe('SharedPostgres metrics', () => {
  function withMetrics(metrics: boolean) {
    const platform = routedPlatform();
    new Monitoring(platform, 'monitoring');
    const postgres = new SharedPostgres(platform, 'postgres', { metrics });
    new NovahostApp(platform, 'shop', { services: { web: { image: 'ghcr.io/x/web:1.0.0', port: 3000, database: true } }, database: { server: postgres } });
    return { postgres, out: synthesize(platform) };
  }

  it('runs the exporter beside the server as the pg_monitor role, scraped through a ServiceMonitor', () => {
    const { postgres, out } = withMetrics(true);
    const pod = findObject(out.shared, 'StatefulSet', 'postgres').spec.template.spec;
    const exporter = pod.containers.find((c: any) => c.name === 'exporter');
    expect(exporter.image).toMatch(/^quay\.io\/prometheuscommunity\/postgres-exporter:v\d+\.\d+\.\d+$/);
    expect(exporter.env).toEqual([
      { name: 'DATA_SOURCE_URI', value: '127.0.0.1:5432/postgres?sslmode=disable' },
      { name: 'DATA_SOURCE_USER', value: 'postgres_exporter' },
      { name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: 'postgres-exporter', key: 'password' } } },
    ]);
    expect(exporter.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const service = findObject(out.shared, 'Service', 'postgres-metrics');
    const monitor = findObject(out.shared, 'ServiceMonitor', 'postgres');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics' }]);
    // The role and its password: created by provisioning from the exporter's Secret.
    expect(findObject(out.shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql']).toContain("GRANT pg_monitor TO %I', :'monitor_role'");
    const job = findObject(out.shared, 'Job', 'postgres-provision').spec.template.spec.containers[0];
    expect(job.env).toContainEqual({ name: 'MONITOR_PASSWORD', valueFrom: { secretKeyRef: { name: 'postgres-exporter', key: 'password' } } });
    expect(postgres.secretReferences.map((r) => r.name)).toContain('postgres-exporter');
    // Prometheus reaches the exporter's port, and nothing else of the server.
    const prometheus = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
    const server = { namespace: 'shared', labels: findObject(out.shared, 'StatefulSet', 'postgres').spec.template.metadata.labels };
    const objects = Object.values(out).flat();
    expect(canConnect(objects, prometheus, server, 9187)).toBe(true);
    expect(canConnect(objects, prometheus, server, 5432)).toBe(false);
  });

  it('is off by default: no sidecar, role, Service or Secret', () => {
    const { postgres, out } = withMetrics(false);
    expect(findObject(out.shared, 'StatefulSet', 'postgres').spec.template.spec.containers.map((c: any) => c.name)).toEqual(['postgres']);
    expect(out.shared.filter((o) => o.kind === 'ServiceMonitor' || o.metadata.name === 'postgres-metrics')).toEqual([]);
    expect(findObject(out.shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql']).not.toContain('pg_monitor');
    expect(postgres.secretReferences.map((r) => r.name)).not.toContain('postgres-exporter');
  });

  it('fails when an app would take the exporter role name', () => {
    const platform = testPlatform();
    const postgres = new SharedPostgres(platform, 'postgres');
    expect(() => new NovahostApp(platform, 'postgres-exporter', { services: { web: { image: 'ghcr.io/x/web:1.0.0', port: 3000 } }, database: { server: postgres } }))
      .toThrow(/"postgres_exporter" is reserved/);
  });
});

describe('SharedPostgres', () => {
  it('renders the server, provisioning and backups (snapshot)', () => {
    const { platform } = setup();
    expect(synthesize(platform).shared).toMatchSnapshot();
  });

  it('wires DATABASE_URL from the password Secret in the app namespace, after the variables it uses', () => {
    const { platform, app } = setup();
    const env = findObject(synthesize(platform).novahost, 'Deployment', 'web').spec.template.spec.containers[0].env;
    expect(env.map((e: any) => e.name)).toEqual(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'DATABASE_URL']);
    const byName = Object.fromEntries(env.map((e: any) => [e.name, e]));
    expect(byName.PGHOST.value).toBe('postgres.shared.svc.cluster.local');
    expect(byName.PGPORT.value).toBe('5432');
    expect(byName.PGDATABASE.value).toBe('novahost');
    expect(byName.PGPASSWORD).toEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'novahost-postgres', key: 'password' } } });
    expect(byName.DATABASE_URL.value).toBe('postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)');
    expect(app.database!.password).toMatchObject({ namespace: 'novahost', name: 'novahost-postgres', key: 'password' });
    expect(app.database!.envVars(DatabaseEnvStyles.DISCRETE).map((e) => e.name)).toEqual(['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD']);
  });

  it('points the Services at the StatefulSet pods on port 5432', () => {
    const { platform, postgres } = setup();
    const shared = synthesize(platform).shared;
    const sts = findObject(shared, 'StatefulSet', 'postgres');
    const podLabels = sts.spec.template.metadata.labels;
    expect(sts.spec.serviceName).toBe('postgres-headless');
    expect(findObject(shared, 'Service', 'postgres-headless').spec.clusterIP).toBe('None');
    for (const svc of [findObject(shared, 'Service', 'postgres'), findObject(shared, 'Service', 'postgres-headless')]) {
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(podLabels[k]).toBe(v);
      expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
    }
    expect(postgres.endpoint).toEqual({ namespace: 'shared', host: 'postgres.shared.svc.cluster.local', port: 5432, podLabels: sts.spec.selector.matchLabels });
  });

  it('checks readiness and liveness with pg_isready and runs restricted as uid 70', () => {
    const { platform } = setup();
    const shared = synthesize(platform).shared;
    const pod = findObject(shared, 'StatefulSet', 'postgres').spec.template.spec;
    const c = pod.containers[0];
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(probe.exec.command[0]).toBe('pg_isready');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, fsGroup: 70, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/backups', '/etc/postgresql', '/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
    expect(c.resources.limits.memory).toBe('1Gi');
    expect(findObject(shared, 'Namespace', 'shared').metadata.labels['pod-security.kubernetes.io/enforce']).toBe(PodSecurity.RESTRICTED);
    const job = findObject(shared, 'Job', 'postgres-provision').spec.template.spec;
    const cron = findObject(shared, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec;
    for (const p of [job, cron]) {
      expect(p.securityContext.runAsUser).toBe(70);
      for (const ctr of p.containers) expect(ctr.securityContext.readOnlyRootFilesystem).toBe(true);
    }
  });

  it('protects the data: annotations, retained claims, minimal claim template, protected namespace', () => {
    const { platform } = setup();
    const shared = synthesize(platform).shared;
    const protectedBy = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' };
    const sts = findObject(shared, 'StatefulSet', 'postgres');
    expect(sts.metadata.annotations).toMatchObject(protectedBy);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    const template = sts.spec.volumeClaimTemplates[0];
    expect(template.metadata.annotations).toMatchObject(protectedBy);
    expect(template.metadata.labels).toBeUndefined();
    expect(findObject(shared, 'PersistentVolumeClaim', 'postgres-backups').metadata.annotations).toMatchObject(protectedBy);
    expect(findObject(shared, 'Namespace', 'shared').metadata.annotations).toMatchObject(protectedBy);
    expect(platform.namespace('shared').holdsData).toBe(true);
  });

  it('runs provisioning after each sync and reads passwords only from Secrets', () => {
    const { platform } = setup();
    const shared = synthesize(platform).shared;
    const job = findObject(shared, 'Job', 'postgres-provision');
    expect(job.metadata.annotations).toEqual({ 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(job.spec).toMatchObject({ backoffLimit: 3, activeDeadlineSeconds: 900, ttlSecondsAfterFinished: 86400 });
    const env = job.spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === 'PASSWORD_NOVAHOST').valueFrom.secretKeyRef).toEqual({ name: 'postgres-app-novahost', key: 'password' });
    expect(env.find((e: any) => e.name === 'PGPASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'postgres-superuser', key: 'password' });
    const sql = findObject(shared, 'ConfigMap', 'postgres-provisioning').data['provision.sql'];
    // timescaledb takes the same path as every other extension.
    expect(sql).toContain("SELECT format('CREATE EXTENSION IF NOT EXISTS %I', 'timescaledb') \\gexec");
    expect(sql).toContain("SELECT format('CREATE EXTENSION IF NOT EXISTS %I', 'pgcrypto') \\gexec");
    expect(sql.replace(/^--.*$/gm, '')).not.toMatch(/\bDROP\b/i);
  });

  it('lets the provisioning and backup pods through the default-deny network policies', () => {
    const { platform } = setup();
    const shared = synthesize(platform).shared;
    const server = findObject(shared, 'StatefulSet', 'postgres').spec.template.metadata.labels;
    for (const component of ['provisioning', 'backup']) {
      const ingress = findObject(shared, 'NetworkPolicy', `allow-ingress-postgres-from-postgres-${component}`);
      for (const [k, v] of Object.entries(ingress.spec.podSelector.matchLabels)) expect(server[k]).toBe(v);
      expect(ingress.spec.ingress[0].ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
      const egress = findObject(shared, 'NetworkPolicy', `allow-egress-postgres-${component}-to-postgres`);
      const pods = component === 'backup'
        ? findObject(shared, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.metadata.labels
        : findObject(shared, 'Job', 'postgres-provision').spec.template.metadata.labels;
      for (const [k, v] of Object.entries(egress.spec.podSelector.matchLabels)) expect(pods[k]).toBe(v);
      expect(ingress.spec.ingress[0].from[0].podSelector).toEqual(egress.spec.podSelector);
    }
  });

  it('renders no secret value anywhere', () => {
    const { platform } = setup({ backup: { s3: { endpoint: 'https://s3.example.com', bucket: 'backups', credentialsSecret: 's3-backup' } } });
    const objects = allObjects(platform);
    const walk = (node: any, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
      if (node && typeof node === 'object') {
        if (typeof node.name === 'string' && /PASSWORD|SECRET|ACCESS_KEY/.test(node.name) && 'value' in node) {
          throw new Error(`${at}: ${node.name} has a plain value`);
        }
        for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
      }
    };
    for (const o of objects) walk(o, `${o.kind}/${o.metadata.name}`);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('lists every Secret it needs and how to create them', () => {
    const { postgres } = setup();
    expect(postgres.secretReferences.map((r) => `${r.namespace}/${r.name}/${r.key}`)).toEqual([
      'shared/postgres-superuser/password',
      'shared/postgres-replication/password',
      'shared/postgres-app-novahost/password',
      'novahost/novahost-postgres/password',
    ]);
    expect(postgres.bootstrapCommands()).toEqual([
      'kubectl create namespace novahost --dry-run=client -o yaml | kubectl apply -f -',
      'kubectl create namespace shared --dry-run=client -o yaml | kubectl apply -f -',
      'kubectl -n shared create secret generic postgres-superuser --from-literal=password="$(openssl rand -hex 24)"',
      'PW="$(openssl rand -hex 24)"',
      'kubectl -n shared create secret generic postgres-app-novahost --from-literal=password="$PW"',
      'kubectl -n novahost create secret generic novahost-postgres --from-literal=password="$PW"',
    ]);
  });

  it('renders an encrypted S3 upload of every backup when asked, beside the server (the volume is ReadWriteOnce)', () => {
    const { platform } = setup({ backup: { s3: { endpoint: 'https://s3.example.com', bucket: 'backups', credentialsSecret: 's3-backup' } } });
    const shared = synthesize(platform).shared;
    const cron = findObject(shared, 'CronJob', 'postgres-backup-upload');
    expect(cron.spec.schedule).toBe('*/5 * * * *');
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['encrypt']);
    expect(pod.initContainers[0].command[2]).toContain('gpg --batch');
    expect(pod.volumes).toContainEqual({ name: 'encryption', secret: { secretName: 'postgres-backup-encryption', items: [{ key: 'passphrase', path: 'passphrase' }] } });
    for (const name of ['postgres-backup', 'postgres-basebackup', 'postgres-backup-upload', 'postgres-restore-drill']) {
      const spec = findObject(shared, 'CronJob', name).spec.jobTemplate.spec.template.spec;
      expect([name, spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution]).toEqual([name, [
        { labelSelector: { matchLabels: postgresPodLabels(shared) }, topologyKey: 'kubernetes.io/hostname' },
      ]]);
    }
    // Only the upload reaches the internet; the dump no longer uploads in clear text.
    expect(findObject(shared, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['dump']);
    expect(pod.containers[0].name).toBe('upload');
    expect(pod.containers[0].image).toBe(DEFAULT_S3_UPLOAD_IMAGE);
    // AWS CLI 2.23+ checksums break S3-compatible stores unless asked for only when required.
    expect(pod.containers[0].env).toEqual(expect.arrayContaining([
      { name: 'AWS_REQUEST_CHECKSUM_CALCULATION', value: 'when_required' },
      { name: 'AWS_RESPONSE_CHECKSUM_VALIDATION', value: 'when_required' },
    ]));
    expect(pod.containers[0].env.find((e: any) => e.name === 'AWS_SECRET_ACCESS_KEY').valueFrom.secretKeyRef).toEqual({ name: 's3-backup', key: 'secret-access-key' });
    expect(pod.containers[0].command[2]).toContain("'s3://backups/shared/postgres'");
  });

  it('derives names from the app: my-app -> my_app', () => {
    const platform = testPlatform();
    const postgres = new SharedPostgres(platform, 'postgres');
    const app = new NovahostApp(platform, 'my-app', { services: { web: WEB }, database: { server: postgres } });
    expect(app.database).toMatchObject({ database: 'my_app', role: 'my_app' });
  });

  it('fails when two apps normalise to the same database name, naming both', () => {
    const platform = testPlatform();
    const postgres = new SharedPostgres(platform, 'postgres');
    new NovahostApp(platform, 'my-app', { services: { web: WEB }, database: { server: postgres } });
    const other = new NovahostApp(platform, 'other', { services: { web: WEB } });
    expectError(
      () => postgres.addDatabase({ appName: 'my_app', namespace: 'other', node: other.node } as any),
      'other: database name (derived from the app name) "my_app" is already the database of my-app on shared/postgres',
      'Fix: give one of my-app and other another database name',
    );
  });

  it('fails when one app asks twice', () => {
    const { postgres, app } = setup();
    expectError(() => postgres.addDatabase(app), 'novahost: database "novahost" is a second database request to shared/postgres');
  });

  it('fails when a database name is invalid or reserved', () => {
    const platform = testPlatform();
    const postgres = new SharedPostgres(platform, 'postgres');
    expectError(
      () => new NovahostApp(platform, 'a', { services: { web: WEB }, database: { server: postgres, name: 'My-DB' } }),
      'a: database.name "My-DB" is not a lower-case PostgreSQL identifier', 'Fix: pass database: { name: \'...\' } with a name such as "my_db"',
    );
    expectError(
      () => new NovahostApp(platform, 'b', { services: { web: WEB }, database: { server: postgres, name: 'pg_stats' } }),
      'b: database.name "pg_stats" starts with "pg_"',
    );
    expectError(() => new NovahostApp(platform, 'postgres', { namespace: 'pgapp', services: { web: WEB }, database: { server: postgres } }), 'is reserved');
    expectError(
      () => new NovahostApp(platform, 'c', { services: { web: WEB }, database: { server: postgres, name: 'x'.repeat(64) } }),
      'c: database.name', 'is longer than 63 bytes, PostgreSQL would truncate it', `"${'x'.repeat(63)}"`,
    );
  });

  it('allows pgvector, which the TimescaleDB image builds in', () => {
    const platform = testPlatform();
    const postgres = new SharedPostgres(platform, 'postgres');
    expect(() => new NovahostApp(platform, 'a', { services: { web: WEB }, database: { server: postgres, extensions: ['vector'] } })).not.toThrow();
  });

  it('fails when an extension is unknown, or timescaledb is not preloaded', () => {
    const platform = testPlatform();
    const postgres = new SharedPostgres(platform, 'postgres');
    expectError(
      () => new NovahostApp(platform, 'a', { services: { web: WEB }, database: { server: postgres, extensions: ['postgis'] } }),
      'a: database.extensions "postgis" is not an extension the PostgreSQL image of shared/postgres ships', 'Fix: use some of: timescaledb, pgcrypto',
    );
    const plain = new SharedPostgres(platform, 'plain', { sharedPreloadLibraries: [] });
    expectError(
      () => new NovahostApp(platform, 'b', { services: { web: WEB }, database: { server: plain, extensions: ['timescaledb'] } }),
      'needs "timescaledb" in sharedPreloadLibraries',
    );
  });

  it('fails when the image is not pinned', () => {
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { image: 'timescale/timescaledb:latest' }), 'shared/postgres: image "timescale/timescaledb:latest" uses the moving tag "latest"');
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { image: 'timescale/timescaledb' }), 'has no tag or digest');
  });

  it('fails when a storage size or setting is malformed', () => {
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { storage: { size: '20GB' } }), 'shared/postgres: storage.size "20GB" is not a storage size', '"20Gi"');
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { backup: { storage: { size: '0Gi' } } }), 'backup.storage.size "0Gi"');
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { settings: { sharedBuffers: '1G' } }), 'settings.sharedBuffers "1G" is not a PostgreSQL memory size');
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { backup: { retentionDays: 0 } }), 'backup.retentionDays 0');
    expectError(() => new SharedPostgres(testPlatform(), 'postgres', { backup: { s3: { endpoint: 's3.example.com', bucket: 'b1b', credentialsSecret: 's' } } }), 'backup.s3.endpoint "s3.example.com"');
  });

  it('fails when the StatefulSet name is too long', () => {
    expectError(() => new SharedPostgres(testPlatform(), 'p'.repeat(53)), 'id', 'at most 52 characters');
  });

  it('never generates SQL that drops or concatenates a password', () => {
    const sql = provisioningSql([{ database: 'a', role: 'a', passwordEnv: 'PW_A', extensions: [] }]);
    expect(sql).toContain(":'pw_0'");
    expect(sql.replace(/^--.*$/gm, '')).not.toMatch(/\bDROP\b|PW_A/i);
  });
});

function postgresPodLabels(shared: any[]): Record<string, string> {
  return findObject(shared, 'StatefulSet', 'postgres').spec.selector.matchLabels;
}
