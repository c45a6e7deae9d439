#!/usr/bin/env node
// Compiles CofferNFT.sol with the pinned solcjs through its standard-JSON
// interface and writes a deterministic artifact.
//
// Usage: node compile.js <artifact.json> <abi.json> <bytecode.bin>
//
// Settings (recorded in the artifact under compiler.settings):
//   optimizer enabled, runs 200;
//   evmVersion "cancun": accepted by go-ethereum's simulated/dev chain and
//   anvil 1.7.1 (both run later forks, which are backwards compatible), and by
//   chains that have not activated Prague/Osaka yet. With solc 0.8.37 this
//   contract's runtime code is identical for cancun, prague and osaka, so
//   nothing is lost.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const CONTRACT = 'CofferNFT';
const SOURCE = CONTRACT + '.sol';

const SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: 'ipfs' },
  remappings: [],
};

function fail(msg) {
  process.stderr.write('compile.js: ' + msg + '\n');
  process.exit(1);
}

// Sorts object keys recursively so the output never depends on insertion order.
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}

// Resolves "@openzeppelin/..." imports from this directory's node_modules only.
function findImports(importPath) {
  if (path.isAbsolute(importPath) || importPath.split('/').includes('..')) {
    return { error: 'refusing import ' + importPath };
  }
  const file = path.join(__dirname, 'node_modules', importPath);
  try {
    return { contents: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    return { error: 'not found: ' + importPath };
  }
}

function main() {
  const [artifactPath, abiPath, binPath] = process.argv.slice(2);
  if (!artifactPath || !abiPath || !binPath) {
    fail('usage: node compile.js <artifact.json> <abi.json> <bytecode.bin>');
  }

  const input = {
    language: 'Solidity',
    sources: { [SOURCE]: { content: fs.readFileSync(path.join(__dirname, SOURCE), 'utf8') } },
    settings: Object.assign({}, SETTINGS, {
      outputSelection: { [SOURCE]: { [CONTRACT]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    }),
  };

  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write((e.formattedMessage || e.message) + '\n');
  if (errors.length > 0) fail(errors.length + ' compilation error(s)');

  const c = output.contracts && output.contracts[SOURCE] && output.contracts[SOURCE][CONTRACT];
  if (!c) fail('no output for ' + CONTRACT);
  const bytecode = c.evm.bytecode.object;
  const deployed = c.evm.deployedBytecode.object;
  if (!bytecode || !deployed) fail('empty bytecode');
  if (/__\$/.test(bytecode)) fail('unlinked library placeholders in bytecode');

  const artifact = {
    contractName: CONTRACT,
    abi: canonical(c.abi),
    bytecode: '0x' + bytecode,
    deployedBytecode: '0x' + deployed,
    compiler: {
      version: solc.version(),
      settings: canonical(SETTINGS),
    },
  };

  fs.writeFileSync(artifactPath, JSON.stringify(artifact, null, 2) + '\n');
  fs.writeFileSync(abiPath, JSON.stringify(artifact.abi) + '\n');
  fs.writeFileSync(binPath, bytecode + '\n');
}

main();
