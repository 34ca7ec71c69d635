import { fileProblems, isReference, noSecretLiterals } from '../../lib/checks/policies/no-secret-literals';
import { configMap, deployment, firstContainer, messages } from './fixtures';

const REDIS_CONF = ['# requirepass foobared', 'port 6379', 'aclfile /run/redis-acl/users.acl', 'maxmemory 256mb', ''].join('\n');
const ACL_TEMPLATE = ['user default off', 'user app on ~app:* &app:* -@all +@read +@write', ''].join('\n');
const SQL = [
  "SELECT 'novahost' AS db_0, 'novahost' AS role_0 \\gset",
  "SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role_0', :'pw_0') \\gexec",
  '-- ALTER ROLE demo PASSWORD \'old\' was removed',
].join('\n');
const POSTGRES_CONF = "password_encryption = 'scram-sha-256'\nssl_key_file = '/tls/tls.key'\n";

describe('no-secret-literals', () => {
  it('passes references, commented-out passwords, ACLs without passwords and password policy settings', () => {
    const d = deployment();
    firstContainer(d).env = [
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'DATABASE_URL', value: 'postgres://$(PGUSER):$(PGPASSWORD)@postgres.shared:5432/app' },
      { name: 'REDIS_PASSWORD', value: '$(REDIS_PASSWORD_FROM_SECRET)' },
      { name: 'API_TOKEN_FILE', value: '/run/secrets/api/token' },
      { name: 'AUTH_TOKEN_REQUIRED', value: 'true' },
    ];
    const cm = configMap({ 'redis.conf': REDIS_CONF, 'users.acl.template': ACL_TEMPLATE, 'provision.sql': SQL, 'postgresql.conf': POSTGRES_CONF, LOG_LEVEL: 'info' });
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'x-helm', namespace: 'argocd' }, spec: { source: { helm: { valuesObject: { auth: { existingSecret: 'x-admin', secretName: 'x-tls' } } } } } };
    expect(messages(noSecretLiterals, [d, cm, app])).toEqual([]);
  });

  it('flags literal secrets in env, config files and Helm values without printing them', () => {
    const d = deployment();
    firstContainer(d).env = [
      { name: 'API_TOKEN', value: 's3cr3t-value' },
      { name: 'DATABASE_URL', value: 'postgres://app:hunter2@postgres:5432/app' },
    ];
    const cm = configMap({
      'redis.conf': 'requirepass hunter2\n',
      'users.acl': 'user app on >hunter2 ~* +@all\n',
      'init.sql': "ALTER ROLE app PASSWORD 'hunter2';\n",
      'app.ini': 'secret_key = abc123\n',
      'tls.key': '-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n',
      'aws.env': 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n',
      DB_PASSWORD: 'hunter2',
    });
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'x-helm', namespace: 'argocd' }, spec: { source: { helm: { valuesObject: { configs: { secret: { argocdServerAdminPassword: 'hunter2' } } } } } } };
    const found = messages(noSecretLiterals, [d, cm, app]);
    expect(found).toEqual([
      'Deployment/web: spec.template.spec.containers[web].env[API_TOKEN] is a literal secret; use valueFrom.secretKeyRef',
      'Deployment/web: spec.template.spec.containers[web].env[DATABASE_URL] contains a URL with a password (scheme://user:password@); build it from $(VARS) that come from a Secret',
      'ConfigMap/config: data["redis.conf"] line 1: requirepass has a literal password; move the secret to a Secret and reference it',
      'ConfigMap/config: data["users.acl"] line 1: an ACL user has a plaintext password (>...); move the secret to a Secret and reference it',
      'ConfigMap/config: data["init.sql"] line 1: SQL PASSWORD with a literal password; move the secret to a Secret and reference it',
      'ConfigMap/config: data["app.ini"] line 1: secret_key is assigned a literal value; move the secret to a Secret and reference it',
      'ConfigMap/config: data["tls.key"] contains a PEM private key; move the secret to a Secret and reference it',
      'ConfigMap/config: data["aws.env"] contains an AWS access key id; move the secret to a Secret and reference it',
      'ConfigMap/config: data.DB_PASSWORD is a literal secret; move it to a Secret',
      'Application/x-helm: spec.source.helm.valuesObject.configs.secret.argocdServerAdminPassword is a literal secret; give the chart an existing Secret instead',
    ]);
    expect(found.join('\n')).not.toMatch(/hunter2|s3cr3t|abc123|AKIAIOSFODNN7EXAMPLE/);
  });

  it('treats references and placeholders as no literal', () => {
    expect(isReference('$(A):$(B)')).toBe(true);
    expect(isReference('__REDIS_PASSWORD__')).toBe(true);
    expect(isReference('x$(A)')).toBe(false);
    expect(fileProblems('user app on >${APP_PASSWORD} ~*\n')).toEqual([]);
  });
});
