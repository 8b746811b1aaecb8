// Settings writes that fail (a full disk: the kernel's /dev/full; a path that cannot be replaced) say so in
// the database's words, keep the previous settings, and leave no temp file behind.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { serializeError } from '../../shared/errors.ts';
import { tmpDir } from '../store/store.testkit.ts';
import { SettingsStore } from './settings.ts';

test(
  'a full disk: "The disk is full", previous settings kept, no temp file left',
  { skip: !existsSync('/dev/full') },
  () => {
    const t = tmpDir('reprise-settings-');
    try {
      const s = new SettingsStore(t.dir);
      symlinkSync('/dev/full', join(t.dir, 'settings.json.tmp')); // every write to it fails with ENOSPC
      assert.throws(
        () => s.update({ cacheBudgetMb: 512 }),
        (e: unknown) => {
          const v = serializeError(e);
          assert.equal(v.title, 'The disk is full');
          assert.equal(v.code, 'diskFull');
          assert.match(v.cause!, /settings\.json.*ENOSPC/);
          assert.match(v.suggestion!, /Free some disk space/);
          return true;
        },
      );
      assert.equal(s.all.cacheBudgetMb, 2048);
      assert.throws(() => lstatSync(join(t.dir, 'settings.json.tmp')), /ENOENT/);
      assert.equal(existsSync(join(t.dir, 'settings.json')), false);
    } finally {
      t.cleanup();
    }
  },
);

test('a settings file that cannot be replaced: a clear error and no leftover temp file', () => {
  const t = tmpDir('reprise-settings-');
  try {
    const s = new SettingsStore(t.dir);
    mkdirSync(join(t.dir, 'settings.json'));
    writeFileSync(join(t.dir, 'settings.json', 'x'), 'in the way');
    assert.throws(
      () => s.update({ threads: 2 }),
      (e: unknown) => {
        const v = serializeError(e);
        assert.equal(v.title, 'The settings could not be saved');
        assert.match(v.suggestion!, /previous settings are kept/);
        return true;
      },
    );
    assert.equal(s.all.threads, 0);
    assert.equal(existsSync(join(t.dir, 'settings.json.tmp')), false);
  } finally {
    t.cleanup();
  }
});

test('the saved secrets never reach the log: a damaged settings file is reported without its contents', () => {
  const t = tmpDir('reprise-settings-');
  try {
    const secret = 'hf_secretSecretSecret123';
    // edited by hand without quotes: JSON.parse's message quotes the text around the error
    writeFileSync(join(t.dir, 'settings.json'), `{"hfToken": ${secret}, "apiKey": "${secret}"}`);
    const warnings: string[] = [];
    const s = new SettingsStore(t.dir, (m) => warnings.push(m));
    assert.equal(s.all.hfToken, null, 'defaults');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /unreadable/);
    assert.ok(!warnings[0]!.includes('hf_secret'), warnings[0]);
  } finally {
    t.cleanup();
  }
});
