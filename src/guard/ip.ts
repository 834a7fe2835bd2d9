import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/** `10.0.0.0/8`, `10.1.2.3`, `2001:db8::/32`: an address or a CIDR block. */
export function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [addr = '', bits, extra] = entry.trim().split('/');
  if (extra !== undefined) return undefined;
  const v = isIP(addr);
  if (v === 0) return undefined;
  const max = v === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { address: addr, prefix, family: v === 4 ? 'ipv4' : 'ipv6' };
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as Node reports IPv4 peers on dual-stack sockets) as IPv4. */
export function canonicalIp(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? m[1]! : ip.toLowerCase();
}

/** A list of networks, matched with Node's `net.BlockList`. */
export class Networks {
  readonly #list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const c = parseCidr(e);
      if (!c) throw new ConfigError([{ path: 'guards.ip', received: typeof e, message: 'an entry is not an IP address or CIDR block', fix: 'list addresses or networks such as "10.20.0.0/16" or "2001:db8::/32"' }]);
      this.#list.addSubnet(c.address, c.prefix, c.family);
    }
    this.size = entries.length;
  }

  has(ip: string): boolean {
    const a = canonicalIp(ip);
    const v = isIP(a);
    return v !== 0 && this.#list.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }
}
