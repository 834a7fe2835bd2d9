import { XMLParser } from 'fast-xml-parser';
import { timingSafeEqual } from 'node:crypto';
import { toXml, type XmlNode } from '../internal/xml.js';
import { LGSP_DEFAULT_PATHS, lgspSoapProfile } from '../transport/lgsp-soap-profile.js';
import { ndxpProfile, ndxpSignature } from '../transport/ndxp-profile.js';
import { REFERENCE_ERROR_CODES, REFERENCE_PATHS, WIRE_FIELD_NAMES } from '../transport/reference-profile.js';
import { CITIZEN_NAMESPACE, LGSP_NAMESPACE, SOAP_ENV } from '../transport/soap.js';
import type { WireProfile } from '../transport/types.js';
import type { SimRequest, SimResponse, Simulator } from './simulator.js';

/** Something that answers sandbox requests: the simulator (reference profile) or a gateway in front of it. */
export interface SimHandler {
  handle(req: SimRequest): Promise<SimResponse>;
}

/** A gateway adapter of yours in front of the sandbox's simulator: `createSandbox({ gateway })`, `runProfileContract({ gateway })`. */
export type GatewayFactory = (sim: Simulator) => SimHandler;

/** The LGSP options the sandbox's gateway expects (any values work; these are what `sandbox.profile` uses). */
export const SANDBOX_LGSP = { appName: 'DANCU-SANDBOX', partnerCode: 'SBX', integrationCode: '037' } as const;
/** The NDXP options the sandbox's NDXP gateway signs with (`sandbox.profile` uses them). */
export const SANDBOX_NDXP = { serviceUrl: 'https://ndxp.sandbox.dancu.test/dancu/v1', integrationCode: '037' } as const;

const OPERATIONS = { XacThucThongTinCongDan: 'verify', TraCuuThongTinCongDan: 'lookup', XacMinhThongTinChuHo: 'householdHead' } as const;
type Element = keyof typeof OPERATIONS;
const XML_HEADERS = { 'content-type': 'text/xml; charset=utf-8' };
const JSON_HEADERS = { 'content-type': 'application/json' };
const SOAP_OPEN = `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:dan="${LGSP_NAMESPACE}"><soapenv:Header/><soapenv:Body>`;
const SOAP_CLOSE = '</soapenv:Body></soapenv:Envelope>';
/** How long a signed request's `timestamp` stays acceptable, either way. */
const NDXP_SKEW_MS = 300_000;

/** An ordered, namespace-aware parse, for checking a request as a strict gateway would. */
const strictParser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: true, processEntities: true, htmlEntities: true });
type Ordered = Array<Record<string, unknown>>;

/** Why a strict gateway refused a request: a fixed sentence, never the request's content. */
class Refusal extends Error {}

function nameOf(node: Record<string, unknown>): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text');
}

/** The text of a leaf element of an ordered parse. */
function textOf(children: Ordered): string {
  return children.map((c) => (typeof c['#text'] === 'string' ? c['#text'] : '')).join('');
}

/**
 * Read a SOAP call the way a strict gateway does: a SOAP 1.1 envelope as the body, the operation
 * element in `http://dancuquocgia.bca`, its children in the order public clients send them, every
 * child in that namespace, `SoCMND` for a 9-digit number and `SoDinhDanh` for a 12-digit one, the
 * date of birth as `NgayThangNam` `yyyyMMdd` or `Nam` `yyyy`. Returns the values by child name.
 */
export function readStrictCall(body: string, element: string): Record<string, string> {
  if (/<!DOCTYPE/i.test(body)) throw new Refusal('a DTD in the request');
  let doc: Ordered;
  try {
    doc = strictParser.parse(body) as Ordered;
  } catch {
    throw new Refusal('the body is not XML');
  }
  const envNode = doc.find((n) => nameOf(n) !== undefined && nameOf(n) !== '?xml');
  const envName = envNode && nameOf(envNode);
  if (!envNode || !envName) throw new Refusal('the body is not a SOAP envelope');
  const ns = (prefixed: string, attrs: Record<string, string>[]): string | undefined => {
    const [prefix, local] = prefixed.includes(':') ? prefixed.split(':') : ['', prefixed];
    for (const a of attrs) {
      const uri = a[prefix ? `xmlns:${prefix}` : 'xmlns'];
      if (uri !== undefined) return `${uri}|${local}`;
    }
    return undefined;
  };
  const scopes: Record<string, string>[] = [(envNode[':@'] ?? {}) as Record<string, string>];
  if (ns(envName, scopes) !== `${SOAP_ENV}|Envelope`) throw new Refusal('the body is not a SOAP 1.1 envelope');
  const envChildren = envNode[envName] as Ordered;
  const bodyNode = envChildren.find((n) => { const k = nameOf(n); return k !== undefined && ns(k, scopes) === `${SOAP_ENV}|Body`; });
  if (!bodyNode) throw new Refusal('the envelope has no Body');
  const bodyName = nameOf(bodyNode)!;
  scopes.unshift((bodyNode[':@'] ?? {}) as Record<string, string>);
  const calls = (bodyNode[bodyName] as Ordered).filter((n) => nameOf(n) !== undefined);
  if (calls.length !== 1) throw new Refusal('the Body must hold exactly one operation element');
  const callName = nameOf(calls[0]!)!;
  scopes.unshift((calls[0]![':@'] ?? {}) as Record<string, string>);
  if (ns(callName, scopes) !== `${LGSP_NAMESPACE}|${element}`) throw new Refusal(`the operation element is not ${element} in ${LGSP_NAMESPACE}`);
  const out: Record<string, string> = {};
  const order: string[] = [];
  for (const child of calls[0]![callName] as Ordered) {
    const k = nameOf(child);
    if (k === undefined) continue;
    const q = ns(k, [(child[':@'] ?? {}) as Record<string, string>, ...scopes]);
    if (!q?.startsWith(`${LGSP_NAMESPACE}|`)) throw new Refusal('a child of the operation is not in the service namespace');
    const local = q.slice(LGSP_NAMESPACE.length + 1);
    if (local in out) throw new Refusal('a child of the operation appears twice');
    order.push(local);
    const inner = child[k] as Ordered;
    if (local === 'NgayThangNamSinh') {
      const parts = inner.filter((n) => nameOf(n) !== undefined);
      const p = parts[0];
      const pn = p && nameOf(p);
      const pq = pn && ns(pn, [(p[':@'] ?? {}) as Record<string, string>, ...scopes]);
      if (parts.length !== 1 || !pq) throw new Refusal('NgayThangNamSinh must hold one NgayThangNam or Nam');
      const v = textOf(p[pn] as Ordered);
      if (pq === `${LGSP_NAMESPACE}|NgayThangNam` && /^\d{8}$/.test(v)) out[local] = `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6)}`;
      else if (pq === `${LGSP_NAMESPACE}|Nam` && /^\d{4}$/.test(v)) out[local] = v;
      else throw new Refusal('NgayThangNamSinh must be NgayThangNam yyyyMMdd or Nam yyyy');
    } else {
      if (inner.some((n) => nameOf(n) !== undefined)) throw new Refusal(`${local} must be text`);
      out[local] = textOf(inner);
    }
  }
  const expected = ['MaYeuCau', 'MaDVC', 'MaTichHop', 'MaCanBo', ...(order.includes('MaDonVi') ? ['MaDonVi'] : []),
    out['SoCMND'] !== undefined ? 'SoCMND' : 'SoDinhDanh', 'HoVaTen', 'NgayThangNamSinh'];
  if (order.join(',') !== expected.join(',')) throw new Refusal(`the children must be ${expected.join(', ')}, in that order`);
  if (out['SoCMND'] !== undefined && !/^\d{9}$/.test(out['SoCMND'])) throw new Refusal('SoCMND carries a 9-digit number');
  if (out['SoDinhDanh'] !== undefined && !/^\d{12}$/.test(out['SoDinhDanh'])) throw new Refusal('SoDinhDanh carries a 12-digit number');
  return out;
}

function soapFault(status: number, code: string, text: string, extra: Array<readonly [string, XmlNode]> = []): SimResponse {
  const fault = `<soapenv:Fault><faultcode>soapenv:${status >= 500 ? 'Server' : 'Client'}</faultcode><faultstring>${text}</faultstring>` +
    `<detail>${toXml('dan', [['MaLoi', code], ...extra])}</detail></soapenv:Fault>`;
  return { status, headers: XML_HEADERS, body: `${SOAP_OPEN}${fault}${SOAP_CLOSE}`, delayMs: 0 };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** WSO2's `yyyy-MMM-dd HH:mm:ssZ` + ` UTC`. */
export function formatNextAccessTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${MONTHS[d.getUTCMonth()]}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}+0000 UTC`;
}

/** The API manager's throttle answer (WSO2: HTTP 429, JSON, code 900804 for a subscription quota). */
export function apiManagerThrottleAnswer(untilMs: number, code = 900804): SimResponse {
  const next = formatNextAccessTime(untilMs);
  return {
    status: 429,
    headers: JSON_HEADERS,
    body: JSON.stringify({ code: String(code), message: 'Message throttled out', description: `You have exceeded your quota .You can access API after ${next}`, nextAccessTime: next }),
    delayMs: 0,
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The evidence shape of a citizen record (`CongdanCollection/CongDan`), from the simulator's reference answer. */
function congDan(c: Record<string, string>, id: string): Array<readonly [string, XmlNode]> {
  const name = (c[WIRE_FIELD_NAMES.fullName] ?? '').split(' ');
  const date = c[WIRE_FIELD_NAMES.dateOfBirth] ?? '';
  const place = (v: string | undefined): XmlNode => [['ChiTiet', v ?? '']];
  return [
    [id.length === 9 ? 'SoCMND' : 'SoDinhDanh', id],
    ['HoVaTen', [['Ho', name[0] ?? ''], ['ChuDem', name.slice(1, -1).join(' ')], ['Ten', name.length > 1 ? name[name.length - 1]! : '']]],
    ['GioiTinh', c[WIRE_FIELD_NAMES.sex] === 'NAM' ? '1' : '2'],
    ['DanToc', c[WIRE_FIELD_NAMES.ethnicity] ?? ''],
    ['TonGiao', c[WIRE_FIELD_NAMES.religion] ?? ''],
    ['NgayThangNamSinh', [['Nam', date.slice(0, 4)], ['NgayThangNam', date.replaceAll('-', '')]]],
    ['QuocTich', c[WIRE_FIELD_NAMES.nationality] ?? ''],
    ['QueQuan', place(c[WIRE_FIELD_NAMES.placeOfOrigin])],
    ['ThuongTru', place(c[WIRE_FIELD_NAMES.permanentAddress])],
    ['NoiOHienTai', place(c[WIRE_FIELD_NAMES.currentAddress])],
  ];
}

const collection = (inner: string) => `${SOAP_OPEN}<ns1:CongdanCollection xmlns:ns1="${CITIZEN_NAMESPACE}">${inner}</ns1:CongdanCollection>${SOAP_CLOSE}`;

/**
 * A strict gateway of the population service's SOAP operations in front of the simulator, built from
 * public integration code (docs/protocol.md, "Evidence"), never from dancu's own client: it reads
 * each call with {@link readStrictCall}, translates it into the simulator's reference request (so the
 * lock, the counting and every fault are the simulator's), and answers in the shapes public code
 * reads: `KetQuaXacThuc { TonTai }`, `CongdanCollection/CongDan`, SOAP faults with `MaLoi`, and the
 * API manager's HTTP 429 with `nextAccessTime`. Subclasses say how a caller authenticates.
 */
abstract class SoapGateway implements SimHandler {
  protected readonly sim: Simulator;
  readonly #paths: Record<Element, string>;

  constructor(sim: Simulator, paths: Record<Element, string>) {
    this.sim = sim;
    this.#paths = paths;
  }

  /** The caller's access to the simulator's API (a bearer token), or a refusal answer. */
  protected abstract authenticate(req: SimRequest, call: Record<string, string>): Promise<{ token: string } | SimResponse>;

  async handle(req: SimRequest): Promise<SimResponse> {
    const element = req.method === 'POST' ? (Object.keys(this.#paths) as Element[]).find((e) => this.#paths[e] === req.path) : undefined;
    if (element === undefined) return this.other(req);
    const type = req.headers.get('content-type') ?? '';
    if (!/^application\/xml(\s*;|$)/i.test(type)) return soapFault(415, REFERENCE_ERROR_CODES.invalidInput, 'Content-Type must be application/xml');
    let call: Record<string, string>;
    try {
      call = readStrictCall(req.body, element);
    } catch (e) {
      if (e instanceof Refusal) return soapFault(400, REFERENCE_ERROR_CODES.invalidInput, e.message);
      throw e;
    }
    const auth = await this.authenticate(req, call);
    if (!('token' in auth)) return auth;
    const op = OPERATIONS[element];
    const id = call['SoCMND'] ?? call['SoDinhDanh']!;
    const meta = { MaYeuCau: call['MaYeuCau'], MaDVC: call['MaDVC'], MaDonVi: call['MaDonVi'] ?? 'GATEWAY', MaHeThong: call['MaTichHop'], MaCanBo: call['MaCanBo'], DiaChiIP: '0.0.0.0', SoDinhDanh: id };
    const identity = { HoVaTen: call['HoVaTen'], NgayThangNamSinh: call['NgayThangNamSinh'] };
    const body = op === 'lookup' ? { ...meta, ...identity, TruongThongTin: Object.values(WIRE_FIELD_NAMES) } : { ...meta, ...identity };
    const res = await this.sim.handle({ method: 'POST', path: REFERENCE_PATHS[op], headers: new Headers({ authorization: `Bearer ${auth.token}`, 'content-type': 'application/json' }), body: JSON.stringify(body) });
    return this.#answer(res, element, id);
  }

  /** Requests that are not operations (the token endpoint of a token gateway). */
  protected other(req: SimRequest): Promise<SimResponse> {
    return this.sim.handle(req);
  }

  #answer(res: SimResponse, element: Element, id: string): SimResponse {
    if (res.fault === 'flood' || res.fault === 'drip' || res.fault === 'reset' || (res.status >= 300 && res.status < 400)) return res;
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    if (res.status === 429) {
      const seconds = Number(res.headers['retry-after'] ?? 60);
      return { ...apiManagerThrottleAnswer(Date.now() + seconds * 1000), delayMs: res.delayMs };
    }
    if (res.status === 401) {
      return { status: 401, headers: JSON_HEADERS, body: JSON.stringify({ fault: { code: 900901, message: 'Invalid Credentials', description: 'Access failure for API' } }), delayMs: res.delayMs };
    }
    if (res.status !== 200) {
      const code = typeof json?.['MaLoi'] === 'string' ? json['MaLoi'] : REFERENCE_ERROR_CODES.internal;
      const extra: Array<readonly [string, XmlNode]> = typeof json?.['KhoaDen'] === 'string' ? [['KhoaDen', json['KhoaDen']]] : [];
      return { ...soapFault(res.status >= 500 ? res.status : 500, code, code, extra), delayMs: res.delayMs };
    }
    if (json === undefined) { // the `malformed` fault: a SOAP answer cut in the middle
      const whole = `${SOAP_OPEN}<dan:KetQuaXacThuc><dan:TonTai>true</dan:TonTai></dan:KetQuaXacThuc>${SOAP_CLOSE}`;
      return { ...res, headers: XML_HEADERS, body: whole.slice(0, Math.floor(whole.length / 2)) };
    }
    if (typeof json['TonTai'] !== 'boolean') return { ...res, headers: XML_HEADERS, body: `${SOAP_OPEN}<dan:KetQuaXacThuc><dan:TonTai>maybe</dan:TonTai></dan:KetQuaXacThuc>${SOAP_CLOSE}` };
    let body: string;
    if (element === 'XacThucThongTinCongDan') {
      const yes = json['TonTai'] === true && (json['KetQua'] as { TrungKhop?: unknown } | undefined)?.TrungKhop === true;
      body = `${SOAP_OPEN}${toXml('dan', [['KetQuaXacThuc', [['TonTai', String(yes)]]]])}${SOAP_CLOSE}`;
    } else if (element === 'TraCuuThongTinCongDan') {
      const c = json['CongDan'] as Record<string, string> | null;
      body = collection(json['TonTai'] === true && c ? toXml('ns1', [['CongDan', congDan(c, id)]]) : '');
    } else {
      const h = json['ChuHo'] as Record<string, string> | null;
      const head: Array<readonly [string, XmlNode]> = h ? Object.entries(h).map(([k, v]) => [k, v] as const) : [];
      body = collection(json['TonTai'] === true ? toXml('ns1', [['CongDan', [[id.length === 9 ? 'SoCMND' : 'SoDinhDanh', id], ['ChuHo', head]]]]) : '');
    }
    return { ...res, headers: XML_HEADERS, body };
  }
}

/** The JSON in `lgspaccesstoken`, when it is one. */
function decodeLgspToken(value: string | null): { AccessKey: string; SecretKey: string } | undefined {
  if (!value) return undefined;
  try {
    const j = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>;
    return typeof j['AccessKey'] === 'string' && typeof j['SecretKey'] === 'string' ? { AccessKey: j['AccessKey'], SecretKey: j['SecretKey'] } : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link LgspGateway}. */
export interface LgspGatewayOptions {
  /** Officers' keys: when given, every call must carry `AuthHash` = base64(`keyName:keyPass`) of the `MaCanBo`'s key. */
  operatorKeys?: Readonly<Record<string, { keyName: string; keyPass: string }>>;
}

/**
 * The provincial LGSP gateway (OpenCPS's wire): the token exchange with `lgspaccesstoken`, then
 * every call with `Authorization: Bearer`, `lgspaccesstoken`, [`AuthHash`] and the envelope as
 * the body. The old JSON wrapper `{accessToken, lgspAccessToken, data}` is refused (415).
 */
export class LgspGateway extends SoapGateway {
  readonly #keys: LgspGatewayOptions['operatorKeys'];

  constructor(sim: Simulator, options: LgspGatewayOptions = {}) {
    super(sim, { XacThucThongTinCongDan: LGSP_DEFAULT_PATHS.verify, TraCuuThongTinCongDan: LGSP_DEFAULT_PATHS.lookup, XacMinhThongTinChuHo: LGSP_DEFAULT_PATHS.householdHead });
    this.#keys = options.operatorKeys;
  }

  /** The client-side profile that speaks to this gateway. */
  static profile(operatorKeys?: LgspGatewayOptions['operatorKeys']): WireProfile {
    return lgspSoapProfile({ ...SANDBOX_LGSP, ...(operatorKeys ? { operatorKey: (id: string) => operatorKeys[id] } : {}) });
  }

  /** `lgspaccesstoken` (base64 JSON with AccessKey/SecretKey) becomes the simulator's Basic credentials. */
  protected override other(req: SimRequest): Promise<SimResponse> {
    if (req.method !== 'POST' || req.path !== LGSP_DEFAULT_PATHS.token) return this.sim.handle(req);
    const creds = decodeLgspToken(req.headers.get('lgspaccesstoken'));
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    if (creds) headers.set('authorization', `Basic ${Buffer.from(`${encodeURIComponent(creds.AccessKey)}:${encodeURIComponent(creds.SecretKey)}`).toString('base64')}`);
    return this.sim.handle({ method: 'POST', path: REFERENCE_PATHS.token, headers, body: req.body });
  }

  protected async authenticate(req: SimRequest, call: Record<string, string>): Promise<{ token: string } | SimResponse> {
    const creds = decodeLgspToken(req.headers.get('lgspaccesstoken'));
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1];
    const valid = creds !== undefined && bearer !== undefined && safeEqual(creds.AccessKey, this.sim.credentials.clientId) && safeEqual(creds.SecretKey, this.sim.credentials.clientSecret);
    if (this.#keys) {
      const key = this.#keys[call['MaCanBo']!];
      const expected = key && Buffer.from(`${key.keyName}:${key.keyPass}`, 'utf8').toString('base64');
      const given = req.headers.get('authhash');
      if (!expected || given === null || !safeEqual(given, expected)) return soapFault(403, REFERENCE_ERROR_CODES.operatorNotPermitted, 'AuthHash does not match the officer');
    }
    // Without valid LGSP credentials the gateway passes an empty token on: the simulator answers 401.
    return { token: valid ? bearer : '-' };
  }
}

/** Options of {@link NdxpGateway}. */
export interface NdxpGatewayOptions {
  /** The service URL in the signature. Default {@link SANDBOX_NDXP}'s. */
  serviceUrl?: string;
  /** Unit of the `timestamp` header. Default `s`. */
  timestampUnit?: 's' | 'ms';
}

/**
 * The population service reached directly through NDXP (the C06 clients' wire): no token endpoint;
 * every call carries `Authorization: Basic base64(user:sha256hex(serviceUrl+user+timestamp+secret))`
 * and `timestamp`. The gateway recomputes the signature; a wrong secret, a missing or stale
 * timestamp (more than 5 minutes either way) is 401.
 */
export class NdxpGateway extends SoapGateway {
  readonly #serviceUrl: string;
  readonly #unit: 's' | 'ms';

  constructor(sim: Simulator, options: NdxpGatewayOptions = {}) {
    super(sim, { XacThucThongTinCongDan: '/XacThucThongTinCongDan', TraCuuThongTinCongDan: '/TraCuuThongTinCongDan', XacMinhThongTinChuHo: '/XacMinhThongTinChuHo' });
    this.#serviceUrl = options.serviceUrl ?? SANDBOX_NDXP.serviceUrl;
    this.#unit = options.timestampUnit ?? 's';
  }

  /** The client-side profile that speaks to this gateway. */
  static profile(): WireProfile {
    return ndxpProfile(SANDBOX_NDXP);
  }

  protected async authenticate(req: SimRequest): Promise<{ token: string } | SimResponse> {
    const refuse = () => ({ status: 401, headers: JSON_HEADERS, body: JSON.stringify({ fault: { code: 900901, message: 'Invalid Credentials' } }), delayMs: 0 });
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1];
    const stamp = req.headers.get('timestamp') ?? '';
    if (!basic || !/^\d{1,16}$/.test(stamp)) return refuse();
    const at = Number(stamp) * (this.#unit === 's' ? 1000 : 1);
    if (Math.abs(Date.now() - at) > NDXP_SKEW_MS) return refuse();
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const given = decoded.slice(colon + 1);
    const { clientId, clientSecret } = this.sim.credentials;
    if (colon < 0 || !safeEqual(user, clientId) || !safeEqual(given, ndxpSignature(this.#serviceUrl, clientId, stamp, clientSecret))) return refuse();
    return { token: this.sim.issueToken() };
  }
}
