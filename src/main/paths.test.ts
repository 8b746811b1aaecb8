import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDataDir, resolveDataDir } from './paths.ts';

test('data directory follows Electron userData conventions', () => {
  assert.equal(defaultDataDir('linux', {}, '/home/u'), '/home/u/.config/Reprise');
  assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/u'), '/x/Reprise');
  assert.equal(defaultDataDir('darwin', {}, '/Users/u'), '/Users/u/Library/Application Support/Reprise');
  assert.match(defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'), /Reprise$/);
});

test('flag beats environment beats default', () => {
  assert.equal(resolveDataDir('/flag', { REPRISE_DATA_DIR: '/env' }), '/flag');
  assert.equal(resolveDataDir(undefined, { REPRISE_DATA_DIR: '/env' }), '/env');
});
