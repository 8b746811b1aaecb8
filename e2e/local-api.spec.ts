import { createServer } from 'node:net';
import OpenAI from 'openai';
import { expect, test } from './fixtures.ts';
import { lastTurnCache, messages, sendAndWait } from './ui.ts';

/** A port nothing listens on right now. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

test('the local API is turned on in the app; a request sent with the shown key appears in its log', async ({ app }) => {
  const { page } = app;
  await page.getByRole('button', { name: 'Local API' }).click();
  const dialog = page.getByRole('dialog', { name: 'Local API' });
  await expect(dialog.getByTestId('api-state')).toHaveText('Off');

  const port = await freePort();
  await dialog.getByLabel('Port').fill(String(port));
  await dialog.getByRole('button', { name: 'Use port' }).click();
  await dialog.getByTestId('api-enabled').check();
  await expect(dialog.getByTestId('api-state')).toContainText(`http://127.0.0.1:${port}/v1`);
  const key = (await dialog.getByTestId('api-key').innerText()).trim();
  expect(key.length).toBeGreaterThanOrEqual(16);
  await dialog.getByRole('button', { name: 'Copy key' }).click();

  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0 });
  const model = (await client.models.list()).data[0]!.id;
  const reply = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Hi! My name is Bob.' }],
    max_tokens: 12,
  });
  expect(reply.usage?.prompt_tokens).toBeGreaterThan(0);

  const log = dialog.getByTestId('api-log');
  await expect(log).toContainText('/v1/chat/completions');
  await expect(log.locator('tbody tr').first()).toContainText('200');

  // a stored Responses-API chain opens as a chat, whose next turn resumes it from the cache
  const first = await client.responses.create({ model, input: 'My name is Ada.', max_output_tokens: 12 });
  await client.responses.create({
    model,
    previous_response_id: first.id,
    input: 'What is my name?',
    max_output_tokens: 12,
  });
  // the panel polls: wait until it lists both stored responses (the newest, the whole chain, comes first)
  const opens = dialog.getByRole('button', { name: /Open “My name is Ada\.” as a chat/ });
  await expect(opens).toHaveCount(2);
  await opens.first().click();
  await expect(page.getByTestId('conversation-title')).toHaveText('My name is Ada.');
  await expect(messages(page, 'user')).toHaveCount(2);
  await sendAndWait(page, 'Thanks!');
  await expect(lastTurnCache(page)).toContainText('Resumed');
  await page.getByRole('button', { name: 'Local API' }).click();

  // a new key: the old one is refused at once
  await dialog.getByRole('button', { name: 'New key' }).click();
  await expect(dialog.getByTestId('api-key')).not.toHaveText(key);
  await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

  // off again: nothing listens
  await dialog.getByTestId('api-enabled').uncheck();
  await expect(dialog.getByTestId('api-state')).toHaveText('Off');
  await expect(fetch(`http://127.0.0.1:${port}/v1/models`)).rejects.toThrow();
});
