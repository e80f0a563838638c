import type { Anomaly } from '../../lib/anomaly.js';
import type { ModelInfo } from '../../detector/Detector.js';
import { formatAnomalyLine } from './formatAnomalyLine.js';
import type { AnomalySink, RunSession } from './RunSession.js';

export interface TerminalReporterOptions {
  /** Anomaly lines. */
  out: NodeJS.WritableStream;
  /** Progress line and notes. */
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Show the single updating progress line (default: when `err` is a TTY). */
  progress?: boolean;
  /** Colour the anomaly lines (default: when `out` is a TTY and NO_COLOR is unset). */
  color?: boolean;
  intervalMs?: number;
}

const nf = new Intl.NumberFormat('en-US');

/**
 * The terminal side of `netids run`: one readable line per new anomaly on stdout; on a TTY a
 * single updating progress line on stderr (learning %, packets/s, flows, anomalies, file
 * position), cleared before each anomaly line and redrawn after it; when stderr is not a TTY
 * only a few notes (model trained, end of input).
 */
export class TerminalReporter implements AnomalySink {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  private anomalies = 0;
  private lastPackets = 0;
  private lastAt = 0;
  private rate = 0;
  private readonly progress: boolean;
  private readonly color: boolean;
  private lastState = '';
  private lastVersion = '';
  private session: RunSession | null = null;
  private stopped = false;

  constructor(private readonly options: TerminalReporterOptions) {
    this.progress = options.progress ?? Boolean(options.err.isTTY);
    const outTty = Boolean((options.out as { isTTY?: boolean }).isTTY);
    this.color = options.color ?? (outTty && !process.env.NO_COLOR);
  }

  start(session: RunSession): void {
    this.session = session;
    this.lastAt = performance.now();
    if (!this.progress) return;
    this.timer = setInterval(() => this.redraw(), this.options.intervalMs ?? 500);
    this.timer.unref();
  }

  anomaly(a: Anomaly, isNew: boolean): void {
    if (!isNew) return;
    this.anomalies += 1;
    this.clear();
    this.options.out.write(formatAnomalyLine(a, this.color) + '\n');
    this.draw();
  }

  model(info: ModelInfo): void {
    const retrained = info.state === 'trained' && this.lastState === 'trained' && info.version !== this.lastVersion;
    if (info.state === this.lastState && !retrained) return;
    this.lastState = info.state;
    this.lastVersion = info.version;
    if (info.state === 'training') this.note(`learned a baseline of ${nf.format(info.samples)} flows; training the model…`);
    if (info.state === 'trained') {
      this.note(`model ${info.version} ${retrained ? 're' : ''}trained on ${nf.format(info.samples)} flows; threshold ${info.threshold.toFixed(3)}; detecting`);
    }
  }

  /** A line of its own on stderr (keeps the progress line below it). */
  note(text: string): void {
    this.clear();
    this.options.err.write(`netids: ${text}\n`);
    this.draw();
  }

  /** Clears the progress line for good (notes and anomaly lines still print). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
    this.stopped = true;
  }

  /** The progress text (also used for the final summary). */
  status(): string {
    const s = this.session;
    if (!s) return '';
    const h = s.health();
    const info = s.detector.info();
    const model =
      info.state === 'learning' ? `learning ${Math.floor(info.progress * 100)}%` : info.state === 'training' ? 'training…' : 'detecting';
    const parts = [model, `${compact(this.rate)} pkt/s`, `${nf.format(h.packets)} packets`, `${nf.format(h.flowsEmitted)} flows`, `${nf.format(this.anomalies)} ${this.anomalies === 1 ? 'anomaly' : 'anomalies'}`];
    if (h.fileProgress !== null) parts.push(`file ${Math.floor(h.fileProgress * 100)}%`);
    if (h.drops > 0) parts.push(`${nf.format(h.drops)} dropped`);
    return parts.join(' · ');
  }

  private redraw(): void {
    const s = this.session;
    if (!s) return;
    const now = performance.now();
    const packets = s.health().packets;
    const dt = (now - this.lastAt) / 1000;
    if (dt > 0) this.rate = (packets - this.lastPackets) / dt;
    this.lastPackets = packets;
    this.lastAt = now;
    this.draw();
  }

  private draw(): void {
    if (!this.progress || !this.session || this.stopped) return;
    const width = this.options.err.columns ?? 100;
    this.options.err.write(`\r\x1b[2K${this.status().slice(0, Math.max(10, width - 1))}`);
    this.shown = true;
  }

  private clear(): void {
    if (!this.shown) return;
    this.options.err.write('\r\x1b[2K');
    this.shown = false;
  }
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
