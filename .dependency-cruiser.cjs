/**
 * The import rule of src/ (ARCHITECTURE.md, "Folders and the order of imports"): folders form
 * layers, and a folder imports only from the layers below its own. Folders that share a layer
 * (server, client, proxy) do not import each other. `npm test` runs this (npm run lint); a wrong
 * import fails with the name of the rule it breaks.
 */
const LAYERS = [
  ['util'],
  ['metrics'],
  ['models'],
  ['scenario'],
  ['topology'],
  ['ipc'],
  ['server', 'client', 'proxy'],
  ['report'],
  ['runner'],
  ['heartbeat'],
  ['cli'],
];

const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
const below = (folder) => LAYERS.slice(0, layerOf.get(folder)).flat();

const downwardOnly = [...layerOf.keys()].map((folder) => {
  const allowed = below(folder);
  const forbiddenFolders = [...layerOf.keys()].filter((f) => f !== folder && !allowed.includes(f));
  return {
    name: `${folder}-imports-only-below`,
    comment: `src/${folder}/ may import only from ${allowed.length ? allowed.map((f) => `src/${f}/`).join(', ') : 'nothing else in src/'} (and itself)`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${forbiddenFolders.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...downwardOnly,
    {
      name: 'no-folder-outside-the-layers',
      comment: 'every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs) and in ARCHITECTURE.md',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: `^src/(?!(${[...layerOf.keys()].join('|')})/)` },
    },
    {
      name: 'model-folders-are-private',
      comment:
        'outside src/models a model is reached through the registry and the shared files of src/models/ (index.ts, types.ts, …) and the HTTP helpers of src/models/http/, never through its own folder',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/models/' },
      to: { path: '^src/models/[^/]+/', pathNot: '^src/models/http/' },
    },
    {
      name: 'model-folders-independent',
      comment: 'a model folder imports the shared pieces (src/models/*.ts, http/, push/), not another model',
      severity: 'error',
      from: { path: '^src/models/([^/]+)/', pathNot: '^src/models/(http|push|short-poll)/' },
      to: { path: '^src/models/[^/]+/', pathNot: '^src/models/($1|http|push)/' },
    },
    {
      name: 'short-poll-is-long-poll-asked-without-wait',
      comment: 'short-poll reuses long-poll server and client (wait=0); it imports nothing else of another model',
      severity: 'error',
      from: { path: '^src/models/short-poll/' },
      to: { path: '^src/models/[^/]+/', pathNot: '^src/models/(short-poll|long-poll|http|push)/' },
    },
    {
      name: 'no-circular',
      comment: 'no file imports itself through others',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
