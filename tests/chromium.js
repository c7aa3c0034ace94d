// Debian's Chromium for the browser tests, in one place: where it is, the flags it needs here, and
// the skip message when it is missing (see shared notes/toolchain.md: as root it needs
// --no-sandbox; without the networking flags it keeps trying to reach the closed network).
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** false when Chromium is installed, else the reason to skip `what` (for node:test's `skip`). */
export function chromiumSkip(what) {
  return existsSync(CHROMIUM) ? false
    : `${CHROMIUM} is not installed: skipping ${what} (install it with: bash scripts/ensure-toolchain.sh chromium)`;
}
