/**
 * dancu's metrics for Prometheus: the OpenTelemetry SDK's MeterProvider with the Prometheus
 * exporter as its reader, and `instrumentDancu` with the clients whose quota, cache and breaker
 * the gauges read. Prometheus scrapes `GET /metrics` (docs/operations.md lists what it finds there
 * and suggests alerts).
 *
 *   npm i @opentelemetry/api @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { DancuClient } from 'dancu';
import { instrumentDancu } from 'dancu/otel';

export interface Telemetry {
  /** Where Prometheus scrapes, e.g. `http://127.0.0.1:9464/metrics`. */
  url: string;
  close(): Promise<void>;
}

/** Serve dancu's metrics on `host:port` (default 127.0.0.1:9464, Prometheus's registered port for OTel; 0 picks a free one). */
export async function startTelemetry(clients: DancuClient[], { host = '127.0.0.1', port = 9464 } = {}): Promise<Telemetry> {
  // The exporter's own server would listen on every interface; here the application chooses where.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const instrumentation = instrumentDancu({ meterProvider, clients });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') return exporter.getMetricsRequestHandler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}/metrics`,
    async close() {
      instrumentation.disable();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await meterProvider.shutdown();
    },
  };
}
