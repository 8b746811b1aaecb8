/**
 * Browser mode outlives its server: the page must say what helps when the service is gone or has restarted
 * (a restart mints a new token, so reloading the old page cannot work), and must not look like data loss.
 */
import { expect, test } from './fixtures.ts';
import { startServer } from './server.ts';
import { composer, conversationButton, importConversations, newChatButton, sidebarList } from './ui.ts';

test.skip(({ appKind }) => appKind !== 'browser', 'only browser mode can lose its service');

test('after a restart, the old page says its token is no longer valid, and the new address works', async ({ app }) => {
  const { page } = app;
  await importConversations(page, [{ title: 'Kept across restarts', turns: [['Hello', 'Hi there']] }]);
  await expect(conversationButton(page, 'Kept across restarts')).toBeVisible();
  // an unsent message survives the reloads below
  await composer(page).fill('A draft I do not want to lose');

  // The same service on the same address and data, as after `npm run serve -- --port N` again.
  const port = new URL(app.server!.origin).port;
  await app.server!.stop();
  const restarted = await startServer({ dataDir: app.dataDir, args: ['--port', port] });
  try {
    await page.reload();
    const banner = page.getByTestId('disconnected');
    await expect(banner).toHaveAttribute('data-reason', 'token');
    await expect(banner.getByTestId('error-title')).toHaveText(/token is no longer valid/);
    await expect(banner.getByTestId('error-suggestion')).toContainText('printed in its console');
    await expect(banner).not.toContainText('reload this page');
    // Not "No conversations yet": the data is there, it just cannot be read from here.
    const list = page.getByRole('complementary', { name: 'Sidebar' });
    await expect(list).toContainText('can’t be loaded while disconnected');
    await expect(list).not.toContainText('No conversations yet');
    // The model card does not add an error of its own: it says only that it is not connected.
    await expect(page.getByRole('region', { name: 'Model' })).toContainText('Not connected');
    await expect(page.getByRole('region', { name: 'Model' })).not.toContainText('unavailable');
    // Nothing can be sent, and no toast repeats the banner.
    await expect(composer(page)).toBeDisabled();
    await expect(newChatButton(page)).toBeDisabled();
    await expect(page.getByTestId('toasts').getByRole('alert')).toHaveCount(0);

    // Opening the new address in this tab only changes the fragment; the page reloads to use it.
    await page.evaluate(
      (hash) => ((globalThis as unknown as { location: { hash: string } }).location.hash = hash),
      new URL(restarted.url).hash,
    );
    await expect(conversationButton(page, 'Kept across restarts')).toBeVisible();
    await expect(page.getByTestId('disconnected')).toHaveCount(0);
    await conversationButton(page, 'Kept across restarts').click();
    await expect(composer(page)).toBeEditable();
    await expect(composer(page)).toHaveValue('A draft I do not want to lose');
  } finally {
    await restarted.stop();
  }
});

test('when the service stops, the page says it is not running and stops offering to send', async ({ app }) => {
  const { page } = app;
  await expect(composer(page)).toBeEditable();
  await app.server!.stop();
  const banner = page.getByTestId('disconnected');
  await expect(banner).toHaveAttribute('data-reason', 'down');
  await expect(banner.getByTestId('error-cause')).toContainText('not running');
  await expect(banner.getByTestId('error-suggestion')).toContainText('Start it again');
  await expect(composer(page)).toBeDisabled();
  await expect(sidebarList(page)).toHaveCount(0);
  await expect(page.getByRole('complementary', { name: 'Sidebar' })).not.toContainText('No conversations yet');
});
