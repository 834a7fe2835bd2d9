import { open } from 'node:fs/promises';

/**
 * The end of a file, read from the end (never the whole file): the last complete line (ending in
 * `\n`) and the size of an unfinished last line after it (a write cut by a crash). Reads at most
 * `max` bytes; a last line longer than that is reported as absent. A missing file is `undefined`.
 */
export async function readTail(path: string, max = 1 << 20): Promise<{ lastLine: string | undefined; size: number; tornBytes: number; bytesRead: number } | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let chunk = 4096;
    for (;;) {
      const len = Math.min(size, chunk);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, size - len);
      const text = buf.subarray(0, bytesRead);
      const lastNl = text.lastIndexOf(0x0a);
      const tornBytes = lastNl === -1 ? (len === size ? size : -1) : len - lastNl - 1;
      if (tornBytes >= 0) {
        const before = lastNl === -1 ? -1 : text.lastIndexOf(0x0a, lastNl - 1);
        if (lastNl === -1) return { lastLine: undefined, size, tornBytes, bytesRead };
        if (before !== -1 || len === size) return { lastLine: text.subarray(before + 1, lastNl).toString('utf8'), size, tornBytes, bytesRead };
      }
      if (len === size || chunk >= max) return { lastLine: undefined, size, tornBytes: Math.max(0, tornBytes), bytesRead };
      chunk *= 4;
    }
  } finally {
    await fh.close();
  }
}

/** The lines of a file from the last to the first, read 256 KiB at a time from the end. */
export async function* linesBackward(file: string, scan: { bytes: number }): AsyncGenerator<string> {
  const fh = await open(file, 'r');
  try {
    let pos = (await fh.stat()).size;
    let carry = Buffer.alloc(0);
    while (pos > 0) {
      const len = Math.min(1 << 18, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      scan.bytes += bytesRead;
      const chunk = carry.length > 0 ? Buffer.concat([buf.subarray(0, bytesRead), carry]) : buf.subarray(0, bytesRead);
      let end = chunk.length;
      let nl: number;
      while (end > 0 && (nl = chunk.lastIndexOf(0x0a, end - 1)) !== -1) {
        if (end - nl > 1) yield chunk.subarray(nl + 1, end).toString('utf8');
        end = nl;
      }
      carry = Buffer.from(chunk.subarray(0, end));
    }
    if (carry.length > 0) yield carry.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Append one line and fsync it (checkpoints, the manifest: rare, small). */
export async function appendDurably(path: string, line: string): Promise<void> {
  const fh = await open(path, 'a', 0o640);
  try {
    await fh.write(`${line}\n`);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
