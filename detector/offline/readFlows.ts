import { readPcapFile } from '../../sensor/capture/readPcapFile.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { Sensor, type SensorConfig, type SensorCounters } from '../../sensor/Sensor.js';

export interface FileFlows {
  records: FlowRecord[];
  counters: SensorCounters;
  /** Set when the file was damaged: every flow before the damage is in `records`. */
  error?: Error;
}

/** Every flow record of a capture file, in emission order (the order a live sensor would send them). */
export async function readFlows(pcap: string, config: Partial<SensorConfig> = {}): Promise<FileFlows> {
  const records: FlowRecord[] = [];
  const sensor = new Sensor(config, (r) => records.push(r));
  let error: Error | undefined;
  try {
    await readPcapFile(pcap, sensor.onPacket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no such capture file: ${pcap}`);
    error = err as Error;
  }
  sensor.flush();
  return { records, counters: sensor.counters(), error };
}
