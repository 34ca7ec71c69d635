// The cron grammar of the servers that read our schedules: Kubernetes CronJobs and Longhorn's
// recurring jobs both parse with robfig/cron v3's standard parser (five fields, or a descriptor).
// A strict hand grammar instead of a package: the rules are few, and each field's range is checked.

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** robfig/cron's descriptors that Kubernetes accepts (not `@every`, not `@reboot`). */
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** What is wrong with a schedule (phrased to follow the value), or undefined when it is valid. */
export function cronProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (DESCRIPTORS.has(s)) return undefined;
  if (/^(CRON_)?TZ=/.test(s)) return 'sets a time zone, which Kubernetes refuses in a schedule (schedules run in UTC)';
  const parts = s.split(/\s+/);
  const n = s === '' ? 0 : parts.length;
  if (n !== 5) return `has ${n} field${n === 1 ? '' : 's'}, not the five of a cron schedule`;
  for (let i = 0; i < 5; i++) {
    const problem = fieldProblem(parts[i], FIELDS[i]);
    if (problem) return `has a ${FIELDS[i].name} field "${parts[i]}" that ${problem}`;
  }
  return undefined;
}

function fieldProblem(text: string, f: CronField): string | undefined {
  for (const item of text.split(',')) {
    const m = /^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/([0-9]+))?$/.exec(item);
    if (!m) return `is not "*", a value, a range "a-b" or a step "/n" (${f.min}-${f.max})`;
    if (m[2] !== undefined && !(Number(m[2]) >= 1 && Number(m[2]) <= f.max - f.min + 1)) return `has a step out of 1-${f.max - f.min + 1}`;
    if (m[1] === '*') continue;
    const [a, b] = m[1].split('-').map((x) => value(x, f));
    if (a === undefined || (m[1].includes('-') && b === undefined)) return `has a value outside ${f.min}-${f.max}${f.names ? ` (or ${f.names[0].toUpperCase()}-${f.names.at(-1)!.toUpperCase()})` : ''}`;
    if (b !== undefined && b < a) return 'has a range that ends before it starts';
  }
  return undefined;
}

function value(x: string, f: CronField): number | undefined {
  const byName = f.names?.indexOf(x.toLowerCase()) ?? -1;
  if (byName >= 0) return byName + f.min;
  if (!/^[0-9]{1,2}$/.test(x)) return undefined;
  const n = Number(x);
  return n >= f.min && n <= f.max ? n : undefined;
}
