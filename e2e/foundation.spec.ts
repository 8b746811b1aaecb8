import { expect, test } from './fixtures.ts';

test('the UI loads and shows facts from the main side', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: 'About Reprise' }).click();
  const about = page.getByRole('dialog', { name: 'About Reprise' });
  await expect(about.getByTestId('data-dir')).toHaveText(app.dataDir);
  await expect(about.getByTestId('transport')).toHaveText(app.kind === 'electron' ? 'ipc' : 'websocket');
  await expect(about.getByTestId('ort-version')).toHaveText(/^\d+\.\d+\.\d+$/);
  await expect(about.getByTestId('platform')).toContainText(process.platform);
  await expect(about.getByTestId('app-version')).toHaveText(/^\d+\.\d+\.\d+/);
});
