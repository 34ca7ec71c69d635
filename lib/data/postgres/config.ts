/** A postgresql.conf setting value: numbers and booleans as written, strings quoted. */
export type PostgresSettingValue = string | number | boolean;

const SETTING_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Whether a name can be a postgresql.conf setting (`work_mem`, `timescaledb.max_background_workers`). */
export function isSettingName(name: string): boolean {
  return SETTING_NAME.test(name);
}

/** Renders settings as postgresql.conf text, one `name = value` per line, in the given order. */
export function postgresqlConf(settings: ReadonlyArray<readonly [string, PostgresSettingValue]>, header: string[] = []): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [name, value] of settings) {
    if (!isSettingName(name)) throw new Error(`postgresql.conf: ${JSON.stringify(name)} is not a setting name`);
    lines.push(`${name} = ${renderValue(value)}`);
  }
  return lines.join('\n') + '\n';
}

function renderValue(value: PostgresSettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`postgresql.conf: ${value} is not a finite number`);
    return String(value);
  }
  if (/[\0\r\n]/.test(value)) throw new Error('postgresql.conf: a value cannot contain a line break');
  // Quoted always: postgresql.conf reads '' as a quote and backslash escapes inside quotes.
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
