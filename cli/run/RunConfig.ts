import { z } from 'zod';

/**
 * Settings of `netids run` (and `netids demo`): from a --config file, NETIDS_* environment
 * variables (e.g. NETIDS_DASHBOARD__PORT=9090) and flags, validated here.
 */
export const RunConfigSchema = z
  .object({
    node: z.string().min(1).optional(),
    input: z
      .object({
        interfaces: z.array(z.string().min(1)).default([]),
        pcap: z.string().min(1).optional(),
        /** Capture seconds per wall second; absent = as fast as possible. */
        speed: z.number().positive().max(1e6).optional(),
      })
      .strict()
      .default({ interfaces: [] }),
    training: z
      .object({
        baselineSeconds: z.number().positive().max(30 * 86400).default(100),
        baselineFlows: z.number().int().min(10).max(10_000_000).default(200),
        maxSamples: z.number().int().min(100).max(1_000_000).default(50_000),
      })
      .strict()
      .default({ baselineSeconds: 100, baselineFlows: 200, maxSamples: 50_000 }),
    alerting: z
      .object({
        targetFpr: z.number().gt(0).lt(0.5).default(0.001),
        minScore: z.number().min(0).max(1).optional(),
      })
      .strict()
      .default({ targetFpr: 0.001 }),
    model: z
      .object({
        load: z.string().min(1).optional(),
        save: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    out: z.string().min(1).optional(),
    dashboard: z
      .object({
        enabled: z.boolean().default(true),
        bind: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .strict()
      .default({ enabled: true, bind: '127.0.0.1', port: 8080 }),
    /** File mode: quit when the file ends instead of serving the dashboard until Ctrl-C. */
    exitAtEnd: z.boolean().default(false),
  })
  .strict();

export type RunConfig = z.infer<typeof RunConfigSchema>;
