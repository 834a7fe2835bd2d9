/**
 * A worked profile for a gateway dancu does not ship (docs/protocol.md, "Writing a profile for your
 * gateway"): a province that exposes the service as JSON under `/dancu/{operation}`, authenticated
 * by an `apikey` header (no token endpoint). Built only from `dancu/profiles`; tested with
 * `runProfileContract` against the adapter below, which plays that gateway in front of the sandbox.
 */
import { upstreamError, type ClientCredentials, type LookupRequest, type VerifyRequest, type WireProfile, type WireResponse } from 'dancu/profiles';
import { REFERENCE_PATHS, WIRE_FIELD_NAMES, fromWireCitizen, unusableAnswer } from 'dancu/profiles';
import type { GatewayFactory } from 'dancu/testing';

function fail(res: WireResponse, requestId: string): never {
  let code: string | undefined;
  try {
    code = (JSON.parse(res.body) as { MaLoi?: string }).MaLoi;
  } catch { /* a non-JSON error: the status decides */ }
  const kind = res.status === 401 ? 'unauthorized' : res.status === 423 ? 'locked' : res.status === 429 ? 'rate_limited'
    : code === '004' ? 'purpose_refused' : code === '005' ? 'operator_refused' : 'other';
  const retryAfter = res.headers.get('retry-after');
  throw upstreamError({ status: res.status, kind, upstreamCode: code, retryAfterMs: retryAfter === null ? undefined : Number(retryAfter) * 1000, requestId });
}

function json(res: WireResponse, requestId: string): Record<string, unknown> {
  if (res.status !== 200) fail(res, requestId);
  try {
    const body = JSON.parse(res.body) as Record<string, unknown>;
    if (typeof body['TonTai'] === 'boolean' && body['MaYeuCau'] === requestId) return body;
  } catch { /* below */ }
  throw unusableAnswer(res.status, 'JSON', requestId, 'not the answer to this request');
}

const meta = (r: VerifyRequest | LookupRequest) => ({ MaYeuCau: r.requestId, MaDVC: r.purposeCode, MaDonVi: r.unitCode, MaCanBo: r.operatorId });
const post = (op: string, body: object) => ({ method: 'POST' as const, path: `/dancu/${op}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const myGatewayProfile: WireProfile = {
  name: 'my-province',
  auth: { kind: 'signed', headers: (c: ClientCredentials) => ({ apikey: c.clientSecret, 'x-client': c.clientId }) },
  operations: {
    verify: {
      build: (r) => post('verify', { ...meta(r), SoDinhDanh: r.idNumber, HoVaTen: r.fullName, NgayThangNamSinh: r.dateOfBirth }),
      parse(res, r) {
        const b = json(res, r.requestId);
        const k = (b['KetQua'] ?? {}) as Record<string, boolean>;
        const fields = { fullName: k['HoVaTen'] === true, dateOfBirth: k['NgayThangNamSinh'] === true };
        return { found: b['TonTai'] === true, match: b['TonTai'] === true && k['TrungKhop'] === true, detail: 'fields', fields };
      },
    },
    lookup: {
      build: (r) => post('lookup', { ...meta(r), SoDinhDanh: r.idNumber, HoVaTen: r.fullName, NgayThangNamSinh: r.dateOfBirth, TruongThongTin: r.fields.map((f) => WIRE_FIELD_NAMES[f]) }),
      parse(res, r) {
        const b = json(res, r.requestId);
        const c = b['CongDan'] as Record<string, string> | null;
        return b['TonTai'] === true && c ? { found: true, citizen: fromWireCitizen(c, r.fields) } : { found: false, citizen: null };
      },
    },
  },
};

/** The province's gateway, played in front of the sandbox's simulator: API key in, reference requests out. */
export const myGateway: GatewayFactory = (sim) => ({
  async handle(req) {
    const op = req.path === '/dancu/verify' ? 'verify' : req.path === '/dancu/lookup' ? 'lookup' : undefined;
    if (op === undefined || req.method !== 'POST') return { status: 404, headers: {}, body: '', delayMs: 0 };
    if (req.headers.get('apikey') !== sim.credentials.clientSecret || req.headers.get('x-client') !== sim.credentials.clientId) {
      return { status: 401, headers: { 'content-type': 'application/json' }, body: '{"MaLoi":"002"}', delayMs: 0 };
    }
    const body = { ...(JSON.parse(req.body) as object), MaHeThong: 'my-province', DiaChiIP: '0.0.0.0' };
    const headers = new Headers({ authorization: `Bearer ${sim.issueToken()}`, 'content-type': 'application/json' });
    return sim.handle({ method: 'POST', path: REFERENCE_PATHS[op], headers, body: JSON.stringify(body) });
  },
});
