// The Redis pod's probes and its metrics exporter sidecar, apart from the construct that renders the pod.
import { k8s } from 'cdk8s-plus-28';
import { imageRef, PINS } from '../../core/pins';
import { exporterContainer } from '../../services/monitoring/scrape';
import { SystemUsers } from './acl';
import { PASSWORD_KEY } from './cache';
import { REDIS_PORT } from './config';

/** The Prometheus exporter for Redis, pinned. */
export const REDIS_EXPORTER_IMAGE = imageRef(PINS.images.redisExporter);
export const METRICS_PORT = 9121;

/** The probes' command: PING as the healthcheck user, password from REDISCLI_AUTH. */
export const HEALTH_CHECK_SCRIPT =
  `[ "$(redis-cli --user ${SystemUsers.HEALTHCHECK} -h 127.0.0.1 -p ${REDIS_PORT} PING)" = PONG ]`;

export function healthProbe(timing: { periodSeconds: number; failureThreshold: number }): k8s.Probe {
  // redis-cli exits 0 on an error reply (NOAUTH, WRONGPASS, LOADING), so the reply is compared.
  return { exec: { command: ['sh', '-c', HEALTH_CHECK_SCRIPT] }, timeoutSeconds: 5, ...timing };
}

/** The exporter sidecar: localhost to the server, as the "metrics" ACL user (password from `passwordSecret`). */
export function redisExporterContainer(passwordSecret: string): k8s.Container {
  const exporter = exporterContainer({
    image: REDIS_EXPORTER_IMAGE,
    port: METRICS_PORT,
    resources: { cpuRequest: '10m', memoryRequest: '16Mi', memoryLimit: '64Mi' },
    env: [
      { name: 'REDIS_ADDR', value: `redis://127.0.0.1:${REDIS_PORT}` },
      { name: 'REDIS_USER', value: SystemUsers.METRICS },
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: passwordSecret, key: PASSWORD_KEY } } },
      // CONFIG is denied to every non-admin user; the exporter must not try it.
      { name: 'REDIS_EXPORTER_CONFIG_COMMAND', value: '-' },
    ],
  });
  // redis_exporter answers /health without touching Redis: a Redis outage shows as
  // redis_up 0 in the metrics rather than as a restarting sidecar.
  const health = { httpGet: { path: '/health', port: k8s.IntOrString.fromString('metrics') }, timeoutSeconds: 3 };
  return {
    ...exporter,
    readinessProbe: { ...health, periodSeconds: 10 },
    livenessProbe: { ...health, periodSeconds: 20, failureThreshold: 6 },
  };
}
