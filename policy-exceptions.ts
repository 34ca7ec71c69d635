// The reference installation's policy exceptions: objects of this installation that deviate from
// a policy on purpose, each with the reason a reviewer agreed to. The policy suite passes them.
import { INSTALLATION } from './installation';
import { BUILDKIT_EXCEPTIONS, CHART_PODS, hostToName, PolicyException } from './lib';

/** The Grafana route's Ingress, named after its host. */
const GRAFANA_INGRESS = hostToName(`grafana.${INSTALLATION.domain}`);

export const POLICY_EXCEPTIONS: readonly PolicyException[] = [
  { policy: 'service-selects-pods', namespace: 'shared', kind: 'Service', name: 'traefik-metrics', reason: `Service for Traefik's metrics: ${CHART_PODS}` },
  { policy: 'ingress-backends', namespace: 'monitoring', kind: 'Ingress', name: GRAFANA_INGRESS, reason: `the Grafana route's backend ${CHART_PODS}` },
  ...BUILDKIT_EXCEPTIONS,
];
