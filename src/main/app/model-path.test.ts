import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AppError } from '../../shared/errors.ts';
import { typedModelPath } from './model-path.ts';

const home = '/home/ada';

test('~ and ~/x are the home folder; absolute paths are kept (normalized)', () => {
  assert.equal(typedModelPath('~', home), home);
  assert.equal(typedModelPath('  ~/models/qwen  ', home), join(home, 'models/qwen'));
  assert.equal(typedModelPath('/opt/models/../models/x/', home), '/opt/models/x/');
});

test('a relative path is refused with a message that says what to type, not resolved against the cwd', () => {
  for (const typed of ['models/qwen', './qwen', 'qwen', '~bob/models']) {
    assert.throws(
      () => typedModelPath(typed, home),
      (e: unknown) => {
        assert.ok(e instanceof AppError && e.code === 'badArgument', String(e));
        assert.match(e.title, /full path/);
        assert.match(e.suggestion!, /~\/ for your home folder \(\/home\/ada\)/);
        assert.ok(!e.message.includes(process.cwd()), 'the working directory is never used');
        return true;
      },
    );
  }
});
