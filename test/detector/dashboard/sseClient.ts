/** One server-sent event as read off the wire. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * Reads server-sent events from `url` until `done(events)` is true or the deadline passes
 * (then rejects, listing what came). A real HTTP client (fetch), parsing the text/event-stream
 * framing itself.
 */
export async function collectSse(url: string, done: (events: SseEvent[]) => boolean, timeoutMs = 20_000): Promise<SseEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { signal: ac.signal, headers: { accept: 'text/event-stream' } });
    if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
    if (!String(res.headers.get('content-type')).startsWith('text/event-stream')) throw new Error('not an event stream');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
      }
      if (done(events)) return events;
    }
    throw new Error('stream ended');
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`timed out waiting for events; got: ${events.map((e) => e.event).join(', ')}`);
    throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}
