/**
 * `dancu/testing`: the sandbox upstream (real HTTP and msw handlers over one simulator), and
 * fixtures. Use it in your own test suite:
 *
 * ```ts
 * import { setupServer } from 'msw/node'
 * import { createSandbox } from 'dancu/testing'
 * import { sandboxHandlers } from 'dancu/testing/msw'
 * const sandbox = await createSandbox({ listen: false })
 * const server = setupServer(...sandboxHandlers(sandbox))
 * ```
 *
 * @packageDocumentation
 */
export { Simulator, FAULT_KINDS } from './simulator.js';
export type { FaultKind, SandboxStats, SimulatorOptions, SimRequest, SimResponse } from './simulator.js';
export { generateCitizens, seededRandom } from './population.js';
export type { SandboxTlsOptions } from './server.js';
export { LgspGateway, NdxpGateway, SANDBOX_LGSP, SANDBOX_NDXP, readStrictCall, apiManagerThrottleAnswer, formatNextAccessTime } from './lgsp-gateway.js';
export type { SimHandler, GatewayFactory, LgspGatewayOptions, NdxpGatewayOptions } from './lgsp-gateway.js';
export { runProfileContract, profileContract } from './contract.js';
export type { ProfileContractOptions, ContractCase, ContractReport } from './contract.js';
export type { SandboxCitizen, GenerateCitizensOptions } from './population.js';

export { createSandbox, DiscardingAuditSink, SANDBOX_PURPOSES } from './sandbox.js';
export type { SandboxOptions, Sandbox } from './sandbox.js';
