import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { parseAllDocuments, stringify } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import * as k8s from '../../deploy/kubernetes/manifests.js';
import { validateScenario } from '../../src/scenario/load.js';
import { expandMatrix } from '../../src/scenario/matrix.js';
import { planRun } from '../../src/runner/plan.js';
import { TOOL_VERSION } from '../../src/util/version.js';

/**
 * The container image and the Kubernetes manifests, tested by what runs here (no container
 * runtime, no cluster): the manifests type-check, the committed YAML is what they generate, every
 * document passes the Kubernetes API schema (kubernetes-models, Kubernetes 1.33), what the pods run
 * fits connbench's own plan, every file the Dockerfile copies exists, and its entrypoint runs.
 */
const DEPLOY = path.resolve('deploy/kubernetes');
const HEADER = '# Generated from deploy/kubernetes/manifests.ts (test/deploy/kubernetes.test.ts); do not edit by hand.\n';
const yamlOf = (docs: object[]) => HEADER + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');

const MODELS: Record<string, new (data: never) => { validate(): void }> = { ConfigMap, Service, Deployment, DaemonSet, Job };

/** Type errors of a TypeScript source against the kubernetes-models interfaces, as the repo's own tsconfig would report them. */
function typeErrors(file: string, source?: string): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  if (source !== undefined) {
    const read = host.readFile.bind(host);
    host.readFile = (f) => (path.resolve(f) === path.resolve(file) ? source : read(f));
    host.fileExists = (
      (exists) => (f: string) =>
        path.resolve(f) === path.resolve(file) || exists(f)
    )(host.fileExists.bind(host));
  }
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('type-check, so a misspelt field fails here (the schema check below would let it pass)', () => {
    expect(typeErrors(path.join(DEPLOY, 'manifests.ts'))).toEqual([]);
    const typo = `import type { IJob } from 'kubernetes-models/batch/v1/Job';
export const j: IJob = { apiVersion: 'batch/v1', kind: 'Job', spec: { completionMod: 'Indexed', template: {} } };
`;
    const errors = typeErrors(path.join(DEPLOY, 'typo-check.ts'), typo);
    expect(errors.join('\n')).toMatch(/'completionMod' does not exist in type '\w*JobSpec'.*'completionMode'/s);
    // The same typo passes the API schema: why the manifests are typed objects.
    expect(() =>
      new Job({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMod: 'Indexed', template: {} } } as never).validate(),
    ).not.toThrow();
  }, 60_000);

  it('the committed YAML is what manifests.ts generates (npx vitest run test/deploy -u writes it)', async () => {
    for (const { file, docs } of k8s.FILES) await expect(yamlOf(docs)).toMatchFileSnapshot(path.join(DEPLOY, file));
  });

  it('every committed document passes the Kubernetes API schema', () => {
    let checked = 0;
    for (const { file } of k8s.FILES) {
      for (const doc of parseAllDocuments(readFileSync(path.join(DEPLOY, file), 'utf8'))) {
        const value = doc.toJS() as { kind: string };
        const Model = MODELS[value.kind];
        expect(Model, `${file}: ${value.kind}`).toBeDefined();
        expect(() => new Model!(value as never).validate(), file).not.toThrow();
        checked++;
      }
    }
    expect(checked).toBe(k8s.FILES.length);
    // A wrong value does not pass.
    const bad = structuredClone(k8s.clientsJob) as unknown as { spec: { completionMode: string } };
    bad.spec.completionMode = 'Foo';
    expect(() => new Job(bad as never).validate()).toThrow(/completionMode must be equal to one of the allowed values/);
  });

  it('each client pod runs its own shard of the ConfigMap scenario against the server Service, and it fits the plan on both sides', () => {
    const job = k8s.clientsJob.spec!;
    expect(job).toMatchObject({ completionMode: 'Indexed', completions: k8s.SHARDS, parallelism: k8s.SHARDS });
    const args = job.template.spec!.containers[0]!.args!;
    expect(args.slice(args.indexOf('--shard'), args.indexOf('--shard') + 2)).toEqual(['--shard', `$(JOB_COMPLETION_INDEX)/${k8s.SHARDS}`]);
    expect(new URL(k8s.TARGET)).toMatchObject({ hostname: k8s.serverService.metadata!.name, port: `${k8s.CONTROL_PORT}` });
    expect(k8s.server.spec!.template.spec!.containers[0]!.args).toEqual(k8s.SERVER_ARGS);
    expect(k8s.serverService.spec!.clusterIP).toBe('None');
    const [point] = expandMatrix(validateScenario(parseAllDocuments(k8s.SCENARIO)[0]!.toJS(), 'the ConfigMap scenario'));
    // A client pod: 4 GiB, the open-files limit a containerd pod gets (1048576), 64,512 ports with the sysctl.
    const pod = { openFilesLimit: 1_048_576, availableMemoryBytes: 4 * 2 ** 30, portsPerDestination: 64_512 };
    for (let i = 0; i < k8s.SHARDS; i++)
      expect(planRun(point!, pod, { kind: 'shard', index: i, count: k8s.SHARDS }).workers).toBeGreaterThan(0);
    planRun(point!, { openFilesLimit: 1_048_576, availableMemoryBytes: 8 * 2 ** 30 }, { kind: 'server' });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  it('builds on Node 20, runs as the unprivileged node user, and copies only files that exist', () => {
    const from = instructions.filter((l) => l.startsWith('FROM '));
    expect(from.length).toBe(2);
    for (const l of from) expect(l).toMatch(/^FROM node:20[-.]/);
    expect(instructions.filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER node');
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies.length).toBeGreaterThan(3);
    for (const l of copies) {
      const parts = l
        .split(/\s+/)
        .slice(1)
        .filter((p) => !p.startsWith('--'));
      for (const src of parts.slice(0, -1)) expect(existsSync(src), `${l}: ${src}`).toBe(true);
    }
    expect(readFileSync('.dockerignore', 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules', 'dist']));
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/local/bin/connbench-entrypoint"]');
  });

  it('its entrypoint raises the open-files limit, says so, and runs connbench with the arguments', () => {
    const script = 'deploy/docker-entrypoint.sh';
    expect(statSync(script).mode & 0o111).not.toBe(0);
    const r = spawnSync('sh', [script, '--version'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, CONNBENCH_HOME: process.cwd() },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(TOOL_VERSION);
    expect(r.stderr).toMatch(/^connbench-entrypoint: open files soft (\d+|unlimited), hard (\d+|unlimited)$/m);
    const [, soft, hard] = /soft (\S+), hard (\S+)/.exec(r.stderr)!;
    expect(soft).toBe(hard);
  });
});
