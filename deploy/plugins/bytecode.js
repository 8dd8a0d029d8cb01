'use strict';
// Ship bytecode Lambda can use. /var/task is read-only and osls writes fixed timestamps into
// the zip (1980 for our files, 2098 for the requirements), so timestamp-checked .pyc files
// never match their sources there: Python would compile every module of the bundle from
// source on every cold start. Hash-checked .pyc files (PEP 552) are valid whatever the
// timestamps say, and Python still notices an edited source by its hash.
//
// - Requirements: pip byte-compiles what it installs; with SOURCE_DATE_EPOCH set, Python's
//   py_compile defaults to hash-checked .pyc files. Set here, before any hook, so the pip
//   that serverless-python-requirements spawns inherits it.
// - Our code: compiled with the same Python 3.12 right before the artifact is zipped; the
//   package patterns in serverless.yml keep only the cpython-312 files.
// - Top-level requirement modules (typing_extensions.py, ~34 ms to compile): the requirements
//   plugin leaves out the top-level __pycache__ when it injects them, so their bytecode is
//   added to the zip afterwards (this plugin is listed after it, so its hook runs later).
// tests/deploy/test_template.py checks every module in the bundle against its bytecode.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const SOURCES = ['bot', 'functions'];

function removeCompiled(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name === '__pycache__') {
      for (const file of fs.readdirSync(full)) {
        if (file.endsWith('.cpython-312.pyc')) fs.unlinkSync(path.join(full, file));
      }
    } else if (entry.isDirectory()) {
      removeCompiled(full);
    }
  }
}

class Bytecode {
  constructor(serverless) {
    this.serverless = serverless;
    if (!process.env.SOURCE_DATE_EPOCH) process.env.SOURCE_DATE_EPOCH = '315532800';
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => this.compile(),
      'after:package:createDeploymentArtifacts': () => this.addTopLevel(),
      // `osls deploy function -f NAME` packages the same code on its own.
      'before:deploy:function:packageFunction': () => this.compile(),
    };
  }

  compile() {
    const service = this.serverless.serviceDir || this.serverless.config.servicePath;
    const python = process.env.OPSBOT_PYTHON_BIN || 'python3.12';
    // Stale files of deleted or renamed modules would be shipped otherwise.
    for (const dir of SOURCES) removeCompiled(path.join(service, dir));
    const run = spawnSync(
      python,
      ['-m', 'compileall', '-q', '-f', '--invalidation-mode', 'checked-hash', ...SOURCES],
      { cwd: service, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '' } },
    );
    this.check(run, `${python} -m compileall`);
  }

  addTopLevel() {
    const service = this.serverless.serviceDir || this.serverless.config.servicePath;
    const name = this.serverless.service.service;
    const artifact = path.join(service, '.serverless', `${name}.zip`);
    const cache = path.join(service, '.serverless', 'requirements', '__pycache__');
    if (!fs.existsSync(artifact) || !fs.existsSync(cache)) return;
    const files = fs.readdirSync(cache).filter((file) => file.endsWith('.cpython-312.pyc'));
    if (files.length === 0) return;
    const script = [
      'import sys, zipfile',
      'with zipfile.ZipFile(sys.argv[1], "a", zipfile.ZIP_DEFLATED) as z:',
      '    names = set(z.namelist())',
      '    for f in sys.argv[3:]:',
      '        if "__pycache__/" + f not in names:',
      '            z.write(sys.argv[2] + "/" + f, "__pycache__/" + f)',
    ].join('\n');
    const python = process.env.OPSBOT_PYTHON_BIN || 'python3.12';
    const run = spawnSync(python, ['-c', script, artifact, cache, ...files], { encoding: 'utf8' });
    this.check(run, 'adding top-level bytecode');
  }

  check(run, what) {
    if (run.error || run.status !== 0) {
      const why = run.error ? run.error.message : `${run.stdout}${run.stderr}`;
      throw new this.serverless.classes.Error(`bytecode: ${what} failed: ${why}`);
    }
  }
}

module.exports = Bytecode;
