import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { multipartBoundary, parseMultipart } from './multipart.ts';

/** Every byte value, and the bytes that would confuse a text-based parser: CRLF, `--`, a fake boundary. */
const NASTY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from('\r\n--\r\n\r\n------formdata-undici-0\r\n'),
]);

describe('parseMultipart', () => {
  test("GIVEN undici's own FormData encoding THEN payload_json and files[n] come back byte for byte", async () => {
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'héllo', attachments: [{ id: 0 }, { id: 1 }] }));
    form.append('files[0]', new Blob([NASTY], { type: 'audio/ogg' }), 'clip "take 2".ogg');
    form.append('files[1]', new Blob([Buffer.alloc(0)]), 'empty.mid');
    const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
    const contentType = request.headers.get('content-type') ?? undefined;
    const body = Buffer.from(await request.arrayBuffer());

    const parsed = parseMultipart(body, contentType);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((part) => [part.name, part.filename, part.contentType, part.data.length]),
      [
        [
          'payload_json',
          null,
          null,
          Buffer.byteLength(JSON.stringify({ content: 'héllo', attachments: [{ id: 0 }, { id: 1 }] })),
        ],
        ['files[0]', 'clip "take 2".ogg', 'audio/ogg', NASTY.length],
        ['files[1]', 'empty.mid', 'application/octet-stream', 0],
      ],
    );
    assert.deepEqual(parsed.value[1]?.data, NASTY);
    assert.deepEqual(JSON.parse(parsed.value[0]?.data.toString('utf8') ?? ''), {
      content: 'héllo',
      attachments: [{ id: 0 }, { id: 1 }],
    });
  });

  test('GIVEN a preamble, a quoted boundary and an RFC 5987 file name THEN the parts are still found', () => {
    const body = Buffer.from(
      'ignored preamble\r\n--b:x\r\nContent-Disposition: form-data; name="files[3]"; filename*=UTF-8\'\'na%C3%AFve.png\r\n\r\n' +
        'PNG\r\n--b:x--\r\nepilogue',
    );
    const parsed = parseMultipart(body, 'multipart/form-data; boundary="b:x"');
    assert.equal(multipartBoundary('multipart/form-data; boundary="abc"'), 'abc');
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((part) => [part.name, part.filename, part.data.toString()]),
      [['files[3]', 'naïve.png', 'PNG']],
    );
  });

  test('GIVEN broken bodies THEN a result with the reason, never a throw', () => {
    assert.deepEqual(parseMultipart(Buffer.from('x'), 'application/json'), { ok: false, error: 'no-boundary' });
    assert.deepEqual(parseMultipart(Buffer.from('no delimiter'), 'multipart/form-data; boundary=zz'), {
      ok: false,
      error: 'no-first-boundary',
    });
    const cut = Buffer.from('--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nhalf a part');
    assert.deepEqual(parseMultipart(cut, 'multipart/form-data; boundary=zz'), { ok: false, error: 'unterminated' });
    const nameless = Buffer.from('--zz\r\nContent-Type: text/plain\r\n\r\nx\r\n--zz--');
    assert.deepEqual(parseMultipart(nameless, 'multipart/form-data; boundary=zz'), { ok: false, error: 'no-name' });
  });
});
