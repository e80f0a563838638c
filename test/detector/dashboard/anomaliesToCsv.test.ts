import { describe, expect, it } from 'vitest';
import { anomaliesToCsv, CSV_COLUMNS } from '../../../detector/dashboard/anomaliesToCsv.js';
import { sampleAnomalies } from './sampleAnomalies.js';

/** A strict RFC 4180 reader, to check the writer independently. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      if (c === '"' || c === '\n') throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('missing final CRLF');
  return rows;
}

describe('anomaliesToCsv', () => {
  const rows = parseCsv(anomaliesToCsv(sampleAnomalies()));
  const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);

  it('writes a header and one row per anomaly, every row as wide as the header', () => {
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(4);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
  });

  it('quotes commas, quotes and line breaks so they survive a round trip', () => {
    expect(rows[2][col('reasons')]).toBe('SYN packets: 1, usually 0, "quoted", with, commas');
    expect(rows[3][col('reasons')]).toBe('line one\nline two');
  });

  it('keeps numbers as numbers and adds UTC times', () => {
    expect(rows[1][col('count')]).toBe('812');
    expect(rows[1][col('first_seen')]).toBe('100');
    expect(rows[1][col('first_seen_utc')]).toBe('1970-01-01T00:01:40.000Z');
    expect(rows[2][col('dst_pod')]).toBe('shop/web-7d9f8-x2k4p');
    expect(rows[2][col('models')]).toBe('iforest ocsvm');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(rows[3][col('src_pod')]).toBe("'=cmd|calc");
  });

  it('writes just the header for no anomalies', () => {
    expect(anomaliesToCsv([])).toBe(CSV_COLUMNS.join(',') + '\r\n');
  });
});
