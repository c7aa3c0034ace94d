// version.js — the package's version, for what it writes into files (ONNX producerVersion).
// tests/package.test.js checks it equals package.json's.
export const VERSION = '0.2.0';
