import { expect, test } from './fixtures.ts';

test('the UI loads and shows facts from the main side', async ({ app }) => {
  const { page } = app;
  await expect(page.getByTestId('data-dir')).toHaveText(app.dataDir);
  await expect(page.getByTestId('transport')).toHaveText(app.kind === 'electron' ? 'ipc' : 'websocket');
  await expect(page.getByTestId('ort-version')).toHaveText(/^\d+\.\d+\.\d+$/);
  await expect(page.getByTestId('platform')).toContainText(process.platform);
});
