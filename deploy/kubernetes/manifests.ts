/**
 * The Kubernetes manifests of a distributed run (docs/distributed.md), as typed objects: the YAML
 * files next to this one are generated from them (test/deploy/kubernetes.test.ts keeps them equal;
 * `npx vitest run test/deploy -u` writes them again). Typed, because the schema validation a test
 * can run offline (kubernetes-models) does not reject unknown fields: a typo such as
 * `completionMod: Indexed` would pass it and run a Job with no JOB_COMPLETION_INDEX, but it does
 * not compile here (the same test type-checks this file).
 */
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IIoK8sApiCoreV1EnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IIoK8sApiCoreV1PodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { IIoK8sApiCoreV1SecurityContext } from 'kubernetes-models/v1/SecurityContext';

export const IMAGE = 'connbench:0.1.0';
export const CONTROL_PORT = 8080;
/** The server processes listen from here, one port per listener kind each (serve --model-port). */
export const MODEL_PORT = 8081;
/** Shards, one pod each: the Job's completions and parallelism, and the n of every pod's --shard. */
export const SHARDS = 4;
export const SCENARIO_PATH = '/etc/connbench/scenario.yaml';
/** Where results go in a pod: an emptyDir volume (the server also keeps the shards' results in memory for `merge --from`). */
export const RESULTS_DIR = '/results';
/** The headless Service's name resolves to the server pod's own address (no kube-proxy NAT, no conntrack entry per connection). */
export const TARGET = `http://connbench-server:${CONTROL_PORT}`;
const LABELS = { 'app.kubernetes.io/name': 'connbench' };

/** What the server pod runs (after the image's entrypoint). */
export const SERVER_ARGS = [
  'serve',
  '--control',
  '--host',
  '0.0.0.0',
  '--port',
  `${CONTROL_PORT}`,
  '--model-port',
  `${MODEL_PORT}`,
  '--results-dir',
  RESULTS_DIR,
];

/** What each client pod runs: Kubernetes puts the pod's index in for $(JOB_COMPLETION_INDEX). The shard tests run these arguments. */
export const CLIENT_ARGS = [
  'run',
  SCENARIO_PATH,
  '--target',
  TARGET,
  '--shard',
  `$(JOB_COMPLETION_INDEX)/${SHARDS}`,
  '--out',
  `${RESULTS_DIR}/`,
];

/**
 * The run the client Job makes, 200,000 clients over 4 pods: the server's 12 processes hold about
 * 16,700 connections each (18,000 at most per process), each client pod 50,000 in 10 workers. For
 * 1,000,000: docs/distributed.md, The arithmetic.
 */
export const SCENARIO = `name: k8s-broadcast
description: "200,000 clients in 4 pods against one server pod: a broadcast every second to every client, for a minute."
models: [websocket, sse]
clients: 200000
server: { processes: 12 }
connectRate: 2000/s
warmup: 10s
duration: 60s
drainTimeout: 2m
workload: { pattern: broadcast, rate: 1/s, payload: 128B }
heartbeat: { interval: 15s, timeout: 30s }
thresholds:
  "*.lost": "== 0"
  "*.clients.connected": "== 200000"
`;

/** The token every request to the control API carries, from a Secret the user creates (docs/distributed.md). */
const TOKEN_ENV: IIoK8sApiCoreV1EnvVar = {
  name: 'CONNBENCH_TOKEN',
  valueFrom: { secretKeyRef: { name: 'connbench-token', key: 'token' } },
};

const POD_SECURITY: IIoK8sApiCoreV1PodSecurityContext = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 };
const CONTAINER_SECURITY: IIoK8sApiCoreV1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

export const scenarioConfigMap: IConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'connbench-scenario', labels: LABELS },
  data: { 'scenario.yaml': SCENARIO },
};

function serverDeployment(sysctls: { name: string; value: string }[]): IDeployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'connbench-server', labels: { ...LABELS, 'app.kubernetes.io/component': 'server' } },
    spec: {
      replicas: 1,
      // One model run at a time on one server: never two during a rollout.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { ...LABELS, 'app.kubernetes.io/component': 'server' } },
      template: {
        metadata: { labels: { ...LABELS, 'app.kubernetes.io/component': 'server' } },
        spec: {
          securityContext: { ...POD_SECURITY, ...(sysctls.length > 0 ? { sysctls } : {}) },
          containers: [
            {
              name: 'server',
              image: IMAGE,
              args: SERVER_ARGS,
              env: [TOKEN_ENV],
              ports: [{ name: 'control', containerPort: CONTROL_PORT }],
              // Every path of the control API wants the token: the probe only checks that it listens.
              readinessProbe: { tcpSocket: { port: CONTROL_PORT }, periodSeconds: 5 },
              resources: { requests: { cpu: '2', memory: '6Gi' }, limits: { memory: '8Gi' } },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [{ name: 'results', mountPath: RESULTS_DIR }],
            },
          ],
          volumes: [{ name: 'results', emptyDir: {} }],
        },
      },
    },
  };
}

export const server = serverDeployment([]);

export const serverService: IService = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'connbench-server', labels: LABELS },
  spec: {
    // Headless: the name resolves to the pod's address, so every port of the server processes is
    // reachable and no connection goes through kube-proxy's NAT and conntrack table.
    clusterIP: 'None',
    selector: { ...LABELS, 'app.kubernetes.io/component': 'server' },
    ports: [{ name: 'control', port: CONTROL_PORT, targetPort: CONTROL_PORT }],
  },
};

export const clientsJob: IJob = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'connbench-clients', labels: LABELS },
  spec: {
    completionMode: 'Indexed',
    completions: SHARDS,
    parallelism: SHARDS,
    // A shard that restarts cannot rejoin a model run already released: no retries; merge names it missing.
    backoffLimit: 0,
    ttlSecondsAfterFinished: 86_400,
    template: {
      metadata: { labels: { ...LABELS, 'app.kubernetes.io/component': 'clients' } },
      spec: {
        restartPolicy: 'Never',
        securityContext: {
          ...POD_SECURITY,
          // Safe (namespaced) sysctl, allowed on every cluster: 64,512 ephemeral ports per server port instead of 28,232.
          sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }],
        },
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: 'kubernetes.io/hostname',
                  labelSelector: { matchLabels: { ...LABELS, 'app.kubernetes.io/component': 'clients' } },
                },
              },
            ],
          },
        },
        containers: [
          {
            name: 'clients',
            image: IMAGE,
            args: CLIENT_ARGS,
            env: [TOKEN_ENV],
            resources: { requests: { cpu: '2', memory: '3Gi' }, limits: { memory: '4Gi' } },
            securityContext: CONTAINER_SECURITY,
            volumeMounts: [
              { name: 'scenario', mountPath: '/etc/connbench', readOnly: true },
              { name: 'results', mountPath: RESULTS_DIR },
            ],
          },
        ],
        volumes: [
          { name: 'scenario', configMap: { name: scenarioConfigMap.metadata!.name! } },
          { name: 'results', emptyDir: {} },
        ],
      },
    },
  },
};

/**
 * For 1,000,000 connections, where the cluster admin allows it (docs/distributed.md): the server
 * with the unsafe sysctls a connect storm of that size needs (kubelet --allowed-unsafe-sysctls
 * 'net.core.somaxconn,net.ipv4.tcp_max_syn_backlog'; without it the pod fails with SysctlForbidden).
 */
export const largeServer = serverDeployment([
  { name: 'net.core.somaxconn', value: '65535' },
  { name: 'net.ipv4.tcp_max_syn_backlog', value: '65535' },
]);

/**
 * Node-wide limits no pod may set: fs.nr_open and fs.file-max (open files per process and in all),
 * nf_conntrack_max (connections the node's NAT table tracks). A privileged pod on every node sets
 * them once, then sleeps; delete the DaemonSet to stop it (the values stay until the node reboots).
 */
export const nodeTuning: IDaemonSet = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'connbench-node-tuning', labels: LABELS },
  spec: {
    selector: { matchLabels: { ...LABELS, 'app.kubernetes.io/component': 'node-tuning' } },
    template: {
      metadata: { labels: { ...LABELS, 'app.kubernetes.io/component': 'node-tuning' } },
      spec: {
        hostNetwork: true,
        containers: [
          {
            name: 'sysctl',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: [
              'sysctl -w fs.nr_open=2097152 fs.file-max=4194304 && (sysctl -w net.netfilter.nf_conntrack_max=2097152 || true) && exec sleep 2147483647',
            ],
            securityContext: { privileged: true },
            resources: { requests: { cpu: '1m', memory: '8Mi' }, limits: { memory: '16Mi' } },
          },
        ],
      },
    },
  },
};

/** Every generated file (relative to this folder) and its documents, in apply order. */
export const FILES: { file: string; docs: object[] }[] = [
  { file: 'scenario-configmap.yaml', docs: [scenarioConfigMap] },
  { file: 'server-deployment.yaml', docs: [server] },
  { file: 'server-service.yaml', docs: [serverService] },
  { file: 'clients-job.yaml', docs: [clientsJob] },
  { file: 'large/server-deployment.yaml', docs: [largeServer] },
  { file: 'large/node-tuning-daemonset.yaml', docs: [nodeTuning] },
];
