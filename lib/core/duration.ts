// The duration grammars of the servers that read them: Go's time.ParseDuration (Flux, External
// Secrets, Argo CD) and Prometheus' model.ParseDuration (retention, rule `for`).
import { IConstruct } from 'constructs';
import { configError } from './errors';

/**
 * Go's time.ParseDuration: one or more `<decimal><unit>` (ns, us, µs, ms, s, m, h), or `0`.
 * The platform writes no negative durations, so a sign is refused.
 */
const GO = /^(?:0|(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

/** Prometheus' model.ParseDuration: units in descending order, each at most once (`1h30m`, `7d`). */
const PROMETHEUS = /^(?:0|(?=[0-9])(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?)$/;

export function isGoDuration(value: unknown): boolean {
  return typeof value === 'string' && GO.test(value);
}

export function isPrometheusDuration(value: unknown): boolean {
  return typeof value === 'string' && value !== '' && PROMETHEUS.test(value);
}

/** The value when it is a Go duration; a configError naming the field otherwise. */
export function checkGoDuration(scope: IConstruct | string, field: string, value: string, example = '"1m", "10m" or "1h"'): string {
  if (!isGoDuration(value)) throw configError(scope, { field, value, problem: 'is not a Go duration', fix: `use e.g. ${example}` });
  return value;
}

/** The value when it is a Prometheus duration; a configError naming the field otherwise. */
export function checkPrometheusDuration(scope: IConstruct | string, field: string, value: string): string {
  if (!isPrometheusDuration(value)) {
    throw configError(scope, { field, value, problem: 'is not a Prometheus duration', fix: 'use a number and a unit, e.g. "7d", "168h" or "60s"' });
  }
  return value;
}
