// The LangGraph.js side of Orchestra's graph benchmark. The same three graphs as
// bench/Orchestra.Benchmarks/GraphBenchmark.cs, with no-op nodes that update a state channel:
//   chain   10 nodes in sequence, each sets `count` to count + 1            (10 node runs)
//   fanout  START → 50 parallel nodes, each appends to `hits` → one join    (51 node runs)
//   loop    one node looping back to itself through a conditional edge     (100 node runs)
// Each graph runs with no checkpointer, with MemorySaver, and with SqliteSaver on a temporary file
// (durability "sync", the checkpoint is written before the next superstep, as Orchestra commits a step's
// checkpoint before its successors run; and "async", LangGraph's default).
//
// Prints one JSON object per line: {"side":"langgraph","graph":...,"mode":...,"steps":...,"runs":[ms...],
// "median_ms":...,"per_step_us":...}, then {"side":"langgraph","done":true,...}.
//
// usage: node bench/langgraph/bench.mjs [--runs N] [--warmup N] [--warmup-ms MS] [--synchronous normal|full] [--graphs chain,fanout,loop]
//        [--modes none,memory,sqlite,sqlite-async]
import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Annotation, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

const CHAIN = 10;
const FAN = 50;
const LOOPS = 100;

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function positiveInt(name, fallback) {
  const text = option(name, String(fallback));
  const value = Number.parseInt(text, 10);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number, not '${text}'.`);
    process.exit(2);
  }
  return value;
}

const runs = Math.max(1, positiveInt("--runs", 30));
const warmup = positiveInt("--warmup", 50);
// Warm-up also lasts a minimum time, as on the Orchestra side: both runtimes optimize hot code after a while.
const warmupMs = positiveInt("--warmup-ms", 2000);
const synchronous = option("--synchronous", "normal").toUpperCase();
if (synchronous !== "NORMAL" && synchronous !== "FULL") {
  console.error(`--synchronous must be normal or full, not '${synchronous.toLowerCase()}'.`);
  process.exit(2);
}
// The fan-out runs 51 tasks under one abort signal; more listeners than the default 10 are expected there.
setMaxListeners(4 * FAN);

const graphs = option("--graphs", "chain,fanout,loop").split(",");
const modes = option("--modes", "none,memory,sqlite,sqlite-async").split(",");

// One counter per run: proves every node ran (and ran once) without costing anything measurable.
let executed = 0;

const ChainState = Annotation.Root({ count: Annotation() });
const FanState = Annotation.Root({ hits: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }) });
const LoopState = Annotation.Root({ i: Annotation() });

function chain() {
  const g = new StateGraph(ChainState);
  for (let n = 0; n < CHAIN; n++) {
    g.addNode(`n${n}`, (s) => {
      executed++;
      return { count: s.count + 1 };
    });
  }
  g.addEdge(START, "n0");
  for (let n = 1; n < CHAIN; n++) g.addEdge(`n${n - 1}`, `n${n}`);
  g.addEdge(`n${CHAIN - 1}`, END);
  return { graph: g, input: { count: 0 }, steps: CHAIN, check: (out) => out.count === CHAIN };
}

function fanout() {
  const g = new StateGraph(FanState);
  const branches = [];
  for (let n = 0; n < FAN; n++) {
    const name = `b${n}`;
    branches.push(name);
    g.addNode(name, () => {
      executed++;
      return { hits: [name] };
    });
    g.addEdge(START, name);
  }
  g.addNode("join", () => {
    executed++;
    return { hits: ["join"] };
  });
  g.addEdge(branches, "join");
  g.addEdge("join", END);
  return { graph: g, input: { hits: [] }, steps: FAN + 1, check: (out) => out.hits.length === FAN + 1 };
}

function loop() {
  const g = new StateGraph(LoopState);
  g.addNode("work", (s) => {
    executed++;
    return { i: s.i + 1 };
  });
  g.addEdge(START, "work");
  g.addConditionalEdges("work", (s) => (s.i < LOOPS ? "work" : END), ["work", END]);
  return { graph: g, input: { i: 0 }, steps: LOOPS, check: (out) => out.i === LOOPS };
}

const shapes = { chain, fanout, loop };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure(name, mode, checkpointer, durability) {
  const shape = shapes[name]();
  const compiled = shape.graph.compile(checkpointer ? { checkpointer } : {});
  const times = [];
  const once = async (r) => {
    const config = { recursionLimit: 10 * LOOPS, configurable: { thread_id: `${name}-${mode}-${r}` } };
    if (durability) config.durability = durability;
    executed = 0;
    const start = performance.now();
    const out = await compiled.invoke(shape.input, config);
    const elapsed = performance.now() - start;
    if (!shape.check(out) || executed !== shape.steps)
      throw new Error(`${name}/${mode}: expected ${shape.steps} node runs, got ${executed}`);
    return elapsed;
  };
  const warming = performance.now();
  let r = 0;
  for (; r < warmup || performance.now() - warming < warmupMs; r++) await once(r);
  for (let t = 0; t < runs; t++, r++) times.push(await once(r));
  const m = median(times);
  console.log(JSON.stringify({
    side: "langgraph", graph: name, mode, steps: shape.steps, runs: times.map((t) => Math.round(t * 1000) / 1000),
    median_ms: m, per_step_us: (m * 1000) / shape.steps,
  }));
}

const dir = mkdtempSync(join(tmpdir(), "langgraph-bench-"));
try {
  for (const name of graphs) {
    if (!shapes[name]) {
      console.error(`unknown graph '${name}': use chain, fanout or loop.`);
      process.exit(2);
    }
    for (const mode of modes) {
      if (mode === "none") await measure(name, mode, null);
      else if (mode === "memory") await measure(name, mode, new MemorySaver());
      else if (mode === "sqlite" || mode === "sqlite-async") {
        // One file per graph and mode, reused across runs (a thread per run), as Orchestra reuses its store.
        const saver = SqliteSaver.fromConnString(join(dir, `${name}-${mode}.db`));
        saver.setup();
        // SqliteSaver sets WAL; match Orchestra's store on synchronous (better-sqlite3's default is FULL).
        saver.db.pragma(`synchronous = ${synchronous}`);
        await measure(name, mode, saver, mode === "sqlite" ? "sync" : "async");
        saver.db.close();
      } else {
        console.error(`unknown mode '${mode}': use none, memory, sqlite or sqlite-async.`);
        process.exit(2);
      }
    }
  }
  const versions = {};
  for (const pkg of ["@langchain/langgraph", "@langchain/langgraph-checkpoint-sqlite", "@langchain/core"]) {
    const { default: meta } = await import(`${pkg}/package.json`, { with: { type: "json" } }).catch(() => ({ default: {} }));
    versions[pkg] = meta.version ?? "unknown";
  }
  console.log(JSON.stringify({ side: "langgraph", done: true, node: process.version, synchronous: synchronous.toLowerCase(), versions }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
