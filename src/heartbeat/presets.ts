import type { IdleAction } from '../proxy/options.js';
import { inputError } from '../util/errors.js';
import { didYouMean } from '../util/didYouMean.js';

/** A published default idle timeout of an intermediary, and how it ends an idle connection. */
export interface Preset {
  id: string;
  name: string;
  idleTimeoutMs: number;
  idleAction: IdleAction;
  /** The setting and its default, as the vendor names it. */
  setting: string;
  /** Where the number is published. */
  source: string;
}

/** Kept in step with the table in docs/heartbeat.md. */
export const PRESETS: readonly Preset[] = [
  {
    id: 'nginx',
    name: 'nginx reverse proxy',
    idleTimeoutMs: 60_000,
    idleAction: 'fin',
    setting: 'proxy_read_timeout 60s (default): closes the connection (504 if no response header was sent yet)',
    source: 'https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout',
  },
  {
    id: 'aws-alb',
    name: 'AWS Application Load Balancer',
    idleTimeoutMs: 60_000,
    idleAction: 'fin',
    setting: 'idle_timeout.timeout_seconds = 60 (default): closes the connection',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout',
  },
  {
    id: 'heroku',
    name: 'Heroku router',
    idleTimeoutMs: 55_000,
    idleAction: 'fin',
    setting: 'rolling 55 s window after the first response byte (not configurable): terminates the connection (H15)',
    source: 'https://devcenter.heroku.com/articles/http-routing#timeouts',
  },
  {
    id: 'cloudflare',
    name: 'Cloudflare proxy',
    idleTimeoutMs: 100_000,
    idleAction: 'fin',
    setting: 'proxy read timeout about 100 s (default; error 524 before a response)',
    source: 'https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-5xx-errors/error-524/',
  },
  {
    id: 'azure-lb',
    name: 'Azure Load Balancer',
    idleTimeoutMs: 240_000,
    idleAction: 'silent',
    setting: 'idle timeout 4 min (default), "TCP reset on idle" off (default): the flow is dropped silently',
    source: 'https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset',
  },
  {
    id: 'aws-nlb',
    name: 'AWS Network Load Balancer (and NAT gateway)',
    idleTimeoutMs: 350_000,
    idleAction: 'silent-rst',
    setting: 'TCP idle timeout 350 s (default): the flow is forgotten; data sent after it gets a RST',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html',
  },
  {
    id: 'envoy',
    name: 'Envoy proxy',
    idleTimeoutMs: 300_000,
    idleAction: 'fin',
    setting: 'stream_idle_timeout 5 min (default, HTTP connection manager): ends the stream',
    source: 'https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts',
  },
];

export const PRESET_IDS = PRESETS.map((p) => p.id);

/** The preset with this id, or an input error that lists them all. */
export function getPreset(id: string): Preset {
  const p = PRESETS.find((x) => x.id === id.toLowerCase());
  if (p) return p;
  const near = didYouMean(id, PRESET_IDS);
  throw inputError(
    'CB_ERR_UNKNOWN_PRESET',
    `unknown preset "${id}"${near ? ` (did you mean "${near}"?)` : ''}`,
    `presets: ${PRESET_IDS.join(', ')}`,
  );
}
