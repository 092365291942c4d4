// Times ONNX Runtime (onnxruntime-node, CPU execution provider) on the models that
// export_onnx.py wrote, as a peer to joule's own `joule bench`.
//
//   node bench.mjs --models-dir DIR [--ort-dir DIR] [--models a,b,c] [--threads 1,2]
//                  [--runs 50] [--warmup 10]
//
// For each model and thread count: one InferenceSession (graphOptimizationLevel 'all',
// executionMode 'sequential', intraOpNumThreads N, interOpNumThreads 1), a correctness check of
// its output on the reference input against PyTorch's (max |diff| <= 1e-4 * max |ref|), warm-up
// runs, then timed runs. Prints one JSON line per (model, threads):
//   {"peer":"onnxruntime","version":"1.30.0","model":...,"threads":...,"runs":...,
//    "min_ms":...,"median_ms":...,"max_ms":...,"load1":...}
// Exit status: 0 on success, 2 on a usage error, 1 on anything else (a failed check included),
// always with a one-line message on stderr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..');
const MODELS = ['mobilenet_v2', 'mobilenet_v3_large', 'efficientnet_b0'];
const TOLERANCE = 1e-4;

class UsageError extends Error {}

function positiveInt(flag, text) {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) throw new UsageError(`${flag}: not a positive integer: '${text}'`);
  return Number(text);
}

function parseArgs(argv) {
  const args = {
    modelsDir: null,
    // node_modules stays under build/ (git-ignored), so the package is found by path, not by
    // Node's resolution from this file's directory.
    ortDir: path.join(repoRoot, 'build', 'peers-onnxruntime'),
    models: MODELS,
    threads: [1, 2],
    runs: 50,
    warmup: 10,
  };
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--models-dir') args.modelsDir = value();
    else if (flag === '--ort-dir') args.ortDir = value();
    else if (flag === '--models') args.models = value().split(',').filter((name) => name !== '');
    else if (flag === '--threads') args.threads = value().split(',').map((text) => positiveInt(flag, text));
    else if (flag === '--runs') args.runs = positiveInt(flag, value());
    else if (flag === '--warmup') args.warmup = positiveInt(flag, value());
    else throw new UsageError(`unknown argument '${flag}'`);
  }
  if (args.modelsDir === null) throw new UsageError('--models-dir is required');
  if (args.models.length === 0) throw new UsageError('--models names no model');
  return args;
}

// The .npy files are float32 arrays that numpy.save wrote: a magic string, a version, a Python
// dict literal header, then the raw little-endian data. Only what export_onnx.py writes is
// accepted; anything else is an error rather than a misread.
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || descr[1] !== '<f4') throw new Error(`${file}: expected little-endian float32 ('<f4'), got ${descr ? descr[1] : 'none'}`);
  if (!fortran || fortran[1] !== 'False') throw new Error(`${file}: expected C order`);
  if (!shapeText) throw new Error(`${file}: no shape in header`);
  const shape = shapeText[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart !== 4 * count) throw new Error(`${file}: ${bytes.length - dataStart} data bytes for shape [${shape}]`);
  // Copy into a fresh, aligned buffer: the file buffer's offset need not be a multiple of 4.
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  return { shape, data };
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function check(model, threads, output, expected) {
  if (output.length !== expected.length) {
    throw new Error(`${model}, ${threads} thread(s): output has ${output.length} values, PyTorch's ${expected.length}`);
  }
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; ++i) {
    const diff = Math.abs(output[i] - expected[i]);
    // NaN never compares greater, so test it explicitly or a NaN output would pass.
    if (!(diff <= maxDiff)) maxDiff = Number.isNaN(diff) ? Infinity : diff;
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  const limit = TOLERANCE * maxRef;
  if (!(maxDiff <= limit)) {
    throw new Error(`${model}, ${threads} thread(s): ONNX Runtime differs from PyTorch by ${maxDiff.toExponential(3)} ` +
                    `(limit ${limit.toExponential(3)} = ${TOLERANCE} * max|ref| ${maxRef.toPrecision(6)})`);
  }
  return { maxDiff, limit };
}

async function benchOne(ort, version, args, model, threads) {
  const onnxPath = path.join(args.modelsDir, `${model}.onnx`);
  const input = readNpy(path.join(args.modelsDir, `${model}.input.npy`));
  const expected = readNpy(path.join(args.modelsDir, `${model}.expected.npy`));
  const session = await ort.InferenceSession.create(onnxPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
    const outputName = session.outputNames[0];

    // The first run is also the correctness check: a wrong answer is not worth timing.
    const first = await session.run(feeds);
    const { maxDiff, limit } = check(model, threads, first[outputName].data, expected.data);
    process.stderr.write(`bench.mjs: ${model}, ${threads} thread(s): max|diff| ${maxDiff.toExponential(2)} <= ${limit.toExponential(2)}\n`);

    for (let i = 0; i < args.warmup; ++i) await session.run(feeds);

    // What is timed: one session.run() as a Node program calls it (input tensor already built,
    // output tensor returned), wall-clock.
    const load1 = os.loadavg()[0];
    const ms = [];
    for (let i = 0; i < args.runs; ++i) {
      const start = process.hrtime.bigint();
      const result = await session.run(feeds);
      const stop = process.hrtime.bigint();
      if (result[outputName].data.length !== expected.data.length) throw new Error(`${model}: output changed size`);
      ms.push(Number(stop - start) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const round = (x) => Math.round(x * 1e4) / 1e4;
    return {
      peer: 'onnxruntime',
      version,
      model,
      threads,
      runs: args.runs,
      min_ms: round(ms[0]),
      median_ms: round(median(ms)),
      max_ms: round(ms[ms.length - 1]),
      load1: Math.round(load1 * 100) / 100,
    };
  } finally {
    await session.release();
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench.mjs: error: ${error.message}\n`);
    return 2;
  }
  try {
    // createRequire wants an absolute path; --ort-dir may be relative to the working directory.
    const ortDir = path.resolve(args.ortDir);
    const packageDir = path.join(ortDir, 'node_modules', 'onnxruntime-node');
    if (!fs.existsSync(path.join(packageDir, 'package.json'))) {
      throw new Error(`onnxruntime-node not found under ${ortDir} (scripts/bench_onnxruntime installs it)`);
    }
    const require = createRequire(path.join(ortDir, 'package.json'));
    const ort = require('onnxruntime-node');
    const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
    for (const model of args.models) {
      for (const threads of args.threads) {
        const result = await benchOne(ort, version, args, model, threads);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }
    }
    return 0;
  } catch (error) {
    process.stderr.write(`bench.mjs: ${String(error && error.message ? error.message : error).replace(/\s+/g, ' ')}\n`);
    return 1;
  }
}

process.exitCode = await main();
