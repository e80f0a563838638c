import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../lib/config.js';

const schema = z
  .object({
    port: z.number().int().min(1).max(65535).default(8080),
    mode: z.enum(['trainer', 'follower']).default('trainer'),
    sensor: z.object({ maxFlows: z.number().int().min(1).default(1000), filter: z.string().default('') }).strict().default({ maxFlows: 1000, filter: '' }),
  })
  .strict();

describe('loadConfig', () => {
  it('takes defaults, then the file, then the environment, then flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netids-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'port: 9000\nsensor:\n  maxFlows: 50\n  filter: tcp\n');
    expect(loadConfig(schema, {})).toEqual({ port: 8080, mode: 'trainer', sensor: { maxFlows: 1000, filter: '' } });
    const c = loadConfig(schema, { file, env: { NETIDS_MODE: 'follower', NETIDS_SENSOR__MAX_FLOWS: '70', PATH: '/bin' }, flags: { port: '9100' } });
    expect(c).toEqual({ port: 9100, mode: 'follower', sensor: { maxFlows: 70, filter: 'tcp' } });
  });

  it('reads one section of a file when asked and the file has it, else the whole file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netids-config-'));
    const sectioned = join(dir, 's.yaml');
    writeFileSync(sectioned, 'owner: ns/x\nmain:\n  port: 9001\n  mode: follower\nother:\n  port: 1\n');
    expect(loadConfig(schema, { file: sectioned, section: 'main', flags: { port: '9002' } })).toEqual({ port: 9002, mode: 'follower', sensor: { maxFlows: 1000, filter: '' } });
    // Keys outside the section are not read, so they cannot fail the schema; inside, the error names the section.
    writeFileSync(sectioned, 'owner: ns/x\nmain:\n  port: 0\n');
    expect(() => loadConfig(schema, { file: sectioned, section: 'main' })).toThrow(/port \(from file .*s\.yaml \(section main\)\)/);
    // A flat file (no such top-level key) is read whole.
    const flat = join(dir, 'f.yaml');
    writeFileSync(flat, 'port: 9003\nsensor:\n  maxFlows: 5\n');
    expect(loadConfig(schema, { file: flat, section: 'main' })).toEqual({ port: 9003, mode: 'trainer', sensor: { maxFlows: 5, filter: '' } });
    // `sensor` is a section name and a key of this schema: as a section, only its content is read.
    expect(() => loadConfig(schema, { file: flat, section: 'sensor' })).toThrow(/unknown setting\(s\) "maxFlows"/);
  });

  it('names the bad field, where it came from and what is allowed', () => {
    expect(() => loadConfig(schema, { env: { NETIDS_MODE: 'boss' } })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { env: { NETIDS_MODE: 'boss' } })).toThrow(/mode \(from environment NETIDS_MODE\): .*"trainer".*"follower"/s);
    expect(() => loadConfig(schema, { flags: { 'sensor.maxFlows': '0' } })).toThrow(/sensor\.maxFlows \(from flag --sensor-max-flows\): .*>=\s*1/);
    expect(() => loadConfig(schema, { flags: { port: 'eighty' } })).toThrow(/port \(from flag --port\): .*number/);
    expect(() => loadConfig(schema, { flags: { colour: 'red' } })).toThrow(/unknown setting\(s\) "colour"/);
  });

  it('reports an unreadable or malformed file clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netids-config-'));
    expect(() => loadConfig(schema, { file: join(dir, 'nope.yaml') })).toThrow(/cannot read config file/);
    writeFileSync(join(dir, 'bad.yaml'), 'port: [1, 2\n');
    expect(() => loadConfig(schema, { file: join(dir, 'bad.yaml') })).toThrow(/not valid YAML or JSON/);
    writeFileSync(join(dir, 'list.yaml'), '- 1\n- 2\n');
    expect(() => loadConfig(schema, { file: join(dir, 'list.yaml') })).toThrow(/must hold a mapping/);
  });
});
