import { parseXml, toXml, type XmlNode } from '../internal/xml.js';
import { LGSP_DEFAULT_PATHS, LGSP_NAMESPACE, lgspSoapProfile } from '../transport/lgsp-soap-profile.js';
import { REFERENCE_ERROR_CODES, REFERENCE_PATHS, WIRE_FIELD_NAMES } from '../transport/reference-profile.js';
import type { WireProfile } from '../transport/types.js';
import type { SimRequest, SimResponse, Simulator } from './simulator.js';

/** Something that answers sandbox requests: the simulator (reference profile) or a gateway in front of it. */
export interface SimHandler {
  handle(req: SimRequest): Promise<SimResponse>;
}

/** The LGSP options the sandbox's gateway expects (any values work; these are what `sandbox.profile` uses). */
export const SANDBOX_LGSP = { appName: 'DANCU-SANDBOX', partnerCode: 'SBX', integrationCode: 'DC-SANDBOX' } as const;

const OPERATIONS = { XacThucThongTinCongDan: 'verify', TraCuuThongTinCongDan: 'lookup' } as const;
const SOAP_HEADERS = { 'content-type': 'text/xml; charset=utf-8' };
const SOAP_OPEN = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:qldc="${LGSP_NAMESPACE}"><soapenv:Body>`;
const SOAP_CLOSE = '</soapenv:Body></soapenv:Envelope>';

/**
 * The provincial LGSP gateway of the population service, played in front of the simulator: it
 * translates the LGSP token exchange and SOAP calls into the simulator's reference requests and
 * the answers back into SOAP, so the lock, the counting and every fault are the simulator's own.
 */
export class LgspGateway implements SimHandler {
  readonly #sim: Simulator;
  readonly #paths = LGSP_DEFAULT_PATHS;

  constructor(sim: Simulator) {
    this.#sim = sim;
  }

  /** The client-side profile that speaks to this gateway. */
  static profile(): WireProfile {
    return lgspSoapProfile(SANDBOX_LGSP);
  }

  async handle(req: SimRequest): Promise<SimResponse> {
    if (req.method === 'POST' && req.path === this.#paths.token) return this.#token(req);
    const element = req.method === 'POST' ? Object.keys(OPERATIONS).find((e) => this.#paths[OPERATIONS[e as keyof typeof OPERATIONS]] === req.path) : undefined;
    if (element) return this.#call(req, element as keyof typeof OPERATIONS);
    return this.#sim.handle(req);
  }

  /** `lgspaccesstoken` (base64 JSON with AccessKey/SecretKey) becomes the simulator's Basic credentials. */
  async #token(req: SimRequest): Promise<SimResponse> {
    const creds = decodeLgspToken(req.headers.get('lgspaccesstoken'));
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    if (creds) headers.set('authorization', `Basic ${Buffer.from(`${encodeURIComponent(creds.AccessKey)}:${encodeURIComponent(creds.SecretKey)}`).toString('base64')}`);
    return this.#sim.handle({ method: 'POST', path: REFERENCE_PATHS.token, headers, body: req.body });
  }

  async #call(req: SimRequest, element: keyof typeof OPERATIONS): Promise<SimResponse> {
    const op = OPERATIONS[element];
    let wrapper: Record<string, unknown> = {};
    try {
      wrapper = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      /* counted and refused by the simulator as invalid input */
    }
    const creds = decodeLgspToken(typeof wrapper['lgspAccessToken'] === 'string' ? wrapper['lgspAccessToken'] : null);
    const headers = new Headers({ 'content-type': 'application/json' });
    // Without valid LGSP credentials the gateway passes no token on: the simulator answers 401.
    const valid = creds !== undefined && creds.AccessKey === this.#sim.credentials.clientId && creds.SecretKey === this.#sim.credentials.clientSecret;
    if (valid && typeof wrapper['accessToken'] === 'string') headers.set('authorization', wrapper['accessToken']);
    const call = readCall(typeof wrapper['data'] === 'string' ? wrapper['data'] : '', element);
    const body: Record<string, unknown> | undefined = call === undefined ? undefined : {
      MaYeuCau: call['MaYeuCau'],
      MaDVC: call['MaDVC'],
      MaDonVi: creds?.PartnerCode || 'LGSP',
      MaHeThong: call['MaTichHop'],
      MaCanBo: call['MaCanBo'],
      DiaChiIP: '0.0.0.0', // the LGSP envelope carries no operator IP
      SoDinhDanh: call['SoDinhDanh'],
      ...(op === 'verify'
        ? { HoVaTen: call['HoVaTen'], NgayThangNamSinh: (call['NgayThangNamSinh'] as Record<string, unknown> | undefined)?.['NgayThangNam'], GioiTinh: call['GioiTinh'] }
        : { TruongThongTin: Object.values(WIRE_FIELD_NAMES) }),
    };
    const res = await this.#sim.handle({ method: 'POST', path: REFERENCE_PATHS[op], headers, body: JSON.stringify(body ?? {}) });
    return toSoap(res, element);
  }
}

function decodeLgspToken(value: string | null): { AccessKey: string; SecretKey: string; PartnerCode?: string } | undefined {
  if (!value) return undefined;
  try {
    const j = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>;
    return typeof j['AccessKey'] === 'string' && typeof j['SecretKey'] === 'string'
      ? { AccessKey: j['AccessKey'], SecretKey: j['SecretKey'], ...(typeof j['PartnerCode'] === 'string' ? { PartnerCode: j['PartnerCode'] } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The children of the operation element of a SOAP call, or undefined when it is not one. */
function readCall(envelope: string, element: string): Record<string, unknown> | undefined {
  try {
    const doc = parseXml(envelope);
    const body = (doc['Envelope'] as Record<string, unknown> | undefined)?.['Body'] as Record<string, unknown> | undefined;
    const call = body?.[element];
    return typeof call === 'object' && call !== null ? (call as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toNode(value: unknown): XmlNode | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => {
      const n = toNode(v);
      return n === undefined ? [] : [[k, n] as const];
    });
  }
  return String(value);
}

/** The simulator's JSON answer as the gateway's SOAP answer; errors as SOAP faults with `MaLoi`. */
function toSoap(res: SimResponse, element: string): SimResponse {
  if (res.status >= 300 && res.status < 400) return res;
  if (res.fault === 'flood' || res.fault === 'drip' || res.fault === 'reset') return res;
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (res.status === 200) {
    if (json === undefined) {
      // The `malformed` fault: a SOAP answer cut in the middle.
      const whole = `${SOAP_OPEN}<qldc:${element}Response><qldc:MaYeuCau>x</qldc:MaYeuCau><qldc:TonTai>true</qldc:TonTai></qldc:${element}Response>${SOAP_CLOSE}`;
      return { ...res, headers: SOAP_HEADERS, body: whole.slice(0, Math.floor(whole.length / 2)) };
    }
    const node = toNode(json);
    return { ...res, headers: SOAP_HEADERS, body: `${SOAP_OPEN}${toXml('qldc', [[`${element}Response`, node ?? '']])}${SOAP_CLOSE}` };
  }
  const code = typeof json?.['MaLoi'] === 'string' ? json['MaLoi'] : REFERENCE_ERROR_CODES.internal;
  const detail: Array<readonly [string, XmlNode]> = [['MaLoi', code]];
  if (typeof json?.['KhoaDen'] === 'string') detail.push(['KhoaDen', json['KhoaDen']]);
  const fault =
    `<soapenv:Fault><faultcode>soapenv:${res.status >= 500 ? 'Server' : 'Client'}</faultcode><faultstring>${code}</faultstring>` +
    `<detail>${toXml('qldc', detail)}</detail></soapenv:Fault>`;
  // A throttle stays HTTP 429 with Retry-After (the gateway's own limiter); every other error is a SOAP fault (HTTP 500).
  const status = res.status === 429 ? 429 : 500;
  const headers: Record<string, string> = { ...SOAP_HEADERS };
  if (res.headers['retry-after']) headers['retry-after'] = res.headers['retry-after'];
  return { ...res, status, headers, body: `${SOAP_OPEN}${fault}${SOAP_CLOSE}` };
}
