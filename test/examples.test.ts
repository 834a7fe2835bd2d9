import { expect, it } from 'vitest';
import { main } from '../examples/quickstart.js';

it('the README quickstart runs and shows a local refusal', async () => {
  const lines: string[] = [];
  await main((l) => lines.push(l));
  expect(lines[0]).toMatch(/^match=true fields=\{"fullName":true,"dateOfBirth":true\} subject=\d{3}\*{7}\d{2}$/);
  expect(lines[1]).toBe('refused locally: ERR_PURPOSE_NOT_REGISTERED; upstream saw 1 request(s)');
});
