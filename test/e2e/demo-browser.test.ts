import type { Page } from 'playwright-core';
import { demoInBrowser, screenshotPath } from './demo-page';

/**
 * `npm run demo` in a real browser (Debian's chromium, or CHROMIUM_PATH; scripts/ensure-services.sh says how to install it):
 * the page sends a signed slash command to the real app, the run message goes from running to final
 * live, Rerun failed and a confirmed Cancel work through signed block_actions. The page draws Block
 * Kit as Slack does. With DEMO_SCREENSHOT=1 (`npm run screenshots`) it writes the README's pictures,
 * docs/demo.png, docs/new-failure.png, docs/evidence-thread.png, docs/evidence-modal.png, docs/history.png,
 * docs/workflow.png and docs/home.png, from this run.
 */
// As `npm run demo` runs it, with the simulated checks 20 times faster (2 min becomes 6 s).
const demo = demoInBrowser({ speed: 20, viewport: { width: 1280, height: 1040 } });
let page: Page;
let url: string;

beforeAll(() => {
  ({ page, url } = demo);
});

/**
 * The run messages in the channel (not thread replies). The demo's scheduled check posts incident
 * messages there too, every 9 s at this speed: a message is found by what it is, never by position.
 */
const runMessages = () => page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run' });
/** The first run message. */
const runMessage = () => runMessages().first();

/**
 * Where the run message and its thread are drawn. A box is null while the page draws an update (the
 * demo's other checks keep Slack busy): read again until both are there.
 */
async function runMessageBoxes() {
  for (let tries = 0; tries < 50; tries++) {
    const message = await runMessage().boundingBox();
    const thread = await runMessage().locator('[data-testid="thread"]').boundingBox();
    if (message && thread) return { message, thread };
    await page.waitForTimeout(100);
  }
  throw new Error('the run message and its thread were never drawn together');
}

test('type /checkly run prod, watch it finish, rerun the failed checks, confirm a Cancel', async () => {
  await page.goto(url);
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly run prod');
  await page.keyboard.press('Enter');

  // The command the user typed, then the app's message, live while checks run.
  await page.locator('.typed', { hasText: '/checkly run prod' }).waitFor({ timeout: 15_000 });
  await runMessage().locator('.header', { hasText: 'Checkly run: prod' }).waitFor({ timeout: 20_000 });
  await runMessage()
    .getByText(/running/)
    .first()
    .waitFor({ timeout: 20_000 });
  await runMessage().getByRole('button', { name: 'Cancel' }).waitFor();
  // The "Triggering checks…" note only the user saw is gone once the run message is there.
  await page.locator('[data-testid="ephemeral"]', { hasText: 'Triggering checks' }).waitFor({ state: 'detached', timeout: 10_000 });

  // Final: counts, no Cancel, Rerun failed offered; the thread reply mentions the requester.
  await runMessage()
    .getByRole('button', { name: /Rerun failed/ })
    .waitFor({ timeout: 60_000 });
  await runMessage()
    .getByText(/\d+ passed · ❌ 2 failed · ⚠️ 1 degraded/)
    .waitFor();
  expect(await runMessage().getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  // It leads with what the run brought: the one failure that passes in Checkly's scheduled runs is new.
  await runMessage()
    .getByText(/❌ 3 failed: 1 new, 2 already failing since/)
    .waitFor();
  await runMessage()
    .getByText(/🆕 ❌ Public API · create order/)
    .first()
    .waitFor();
  // Something is new, so the thread reply mentions the requester.
  await runMessage().locator('[data-testid="thread"]').getByText('@alice').first().waitFor({ timeout: 20_000 });
  // Everything from the command to the thread reply and its screenshot, for the README.
  const file = page.locator('#log [data-testid="file"]').first();
  await file.waitFor({ timeout: 20_000 });
  // The failure screenshot at its size (720 × 450), no wider than Slack shows an image (360 px).
  await file.locator('img').evaluate((img) => (img as unknown as { decode(): Promise<void> }).decode());
  const shot = await file.locator('img').evaluate((element) => {
    const img = element as unknown as { naturalWidth: number; naturalHeight: number; width: number; height: number };
    return { natural: [img.naturalWidth, img.naturalHeight], shown: [img.width, img.height] };
  });
  expect(shot).toEqual({ natural: [720, 450], shown: [360, 225] });
  await page.locator('#log').evaluate((log) => log.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath('demo.png') });
  // The run message alone, down to its thread: the summary line and the 🆕 row, for the README's "After a deploy".
  const { message, thread } = await runMessageBoxes();
  expect(thread.y).toBeGreaterThan(message.y);
  await page.screenshot({ path: screenshotPath('new-failure.png'), clip: { x: message.x, y: message.y, width: message.width, height: thread.y - message.y } });
  await runMessage()
    .locator('[data-testid="thread"]')
    .screenshot({ path: screenshotPath('evidence-thread.png') });

  // Rerun failed: a new run message in the thread, for exactly the failed and degraded checks.
  await runMessage()
    .getByRole('button', { name: /Rerun failed & degraded \(3\)/ })
    .click();
  const rerun = runMessage().locator('[data-testid="thread"] [data-testid="message"]', { hasText: 'Checkly run' });
  await rerun.first().waitFor({ timeout: 20_000 });
  await rerun.first().getByText('3 checks').first().waitFor({ timeout: 20_000 });
  // The demo's flaky check passes this time; the rerun's message reaches its final state live.
  await rerun
    .first()
    .getByText(/✅ 1 passed · ❌ 1 failed · ⚠️ 1 degraded/)
    .waitFor({ timeout: 60_000 });

  // A long run to cancel: Cancel asks first; "Keep running" keeps it, the confirm cancels it.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly run web,eu');
  await page.keyboard.press('Enter');
  const second = page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run: web,eu' });
  await second.getByRole('button', { name: 'Cancel' }).click({ timeout: 20_000 });
  const confirm = page.locator('[data-testid="confirm"]');
  await confirm.waitFor();
  await confirm.getByRole('button', { name: 'Keep running' }).click();
  expect(await confirm.count()).toBe(0);
  await second.getByRole('button', { name: 'Cancel' }).click();
  await confirm.getByRole('button', { name: 'Cancel checks' }).click();
  await second
    .getByText(/cancelled/)
    .first()
    .waitFor({ timeout: 20_000 });

  // /checkly help answers only the user.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly help');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="ephemeral"]', { hasText: 'Only visible to you' }).last().waitFor({ timeout: 15_000 });

  // A listing only the user sees, with Run buttons: "Run these" starts a run in the channel.
  const runsBefore = await runMessages().count();
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly failing');
  await page.keyboard.press('Enter');
  await page
    .locator('[data-testid="ephemeral"]')
    .getByRole('button', { name: /^Run these/ })
    .last()
    .click({ timeout: 20_000 });
  await runMessages().nth(runsBefore).waitFor({ timeout: 20_000 });

  // The app's modals. Details, from a failure's button in the thread reply, then from the run's menu.
  const modal = page.locator('[data-testid="modal"]');
  await runMessage()
    .locator('[data-testid="thread"] .section', { hasText: 'Public API · create order' })
    .getByRole('button', { name: 'Details' })
    .first()
    .click();
  await modal.getByRole('heading', { name: 'Check details' }).waitFor({ timeout: 20_000 });
  await modal.getByText('POST https://api.example.com/v1/orders').first().waitFor({ timeout: 20_000 });
  await modal.getByText('503 Service Unavailable').first().waitFor();
  await modal.screenshot({ path: screenshotPath('evidence-modal.png') });
  await modal.getByRole('button', { name: 'Close' }).click();
  expect(await modal.count()).toBe(0);
  await runMessage().locator('select[data-menu]').first().selectOption({ index: 1 });
  await modal.getByRole('heading', { name: 'Check details' }).waitFor({ timeout: 20_000 });
  await modal.getByRole('button', { name: 'Close' }).click();

  // The form (`/checkly` alone): choose a tag from the type-ahead, watch the count follow, run it.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly');
  await page.keyboard.press('Enter');
  await modal.getByRole('heading', { name: 'Run Checkly checks' }).waitFor({ timeout: 20_000 });
  await modal.getByRole('textbox', { name: 'Type a tag' }).click();
  await modal
    .getByRole('option', { name: /^staging/ })
    .first()
    .click({ timeout: 20_000 });
  await modal.getByText(/4 checks match/).waitFor({ timeout: 20_000 });
  await modal.getByRole('button', { name: 'Run' }).click();
  await modal.waitFor({ state: 'detached', timeout: 20_000 });
  await page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run' }).filter({ hasText: 'staging' }).first().waitFor({ timeout: 20_000 });
}, 240_000);

test('/checkly history prod: after more runs of prod, the grid of its runs in the channel, a row per check, newest on the right', async () => {
  // Two more runs of prod (the first test ran one; its rerun, a run of its own, is not a run of prod).
  for (let n = 2; n <= 3; n++) {
    await page.getByRole('textbox', { name: 'Message' }).fill('/checkly run prod');
    await page.keyboard.press('Enter');
    const run = page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run: prod' }).nth(n - 1);
    await run.getByRole('button', { name: /Rerun failed/ }).waitFor({ timeout: 60_000 });
  }
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly history prod');
  await page.keyboard.press('Enter');
  const grid = page.locator('[data-testid="ephemeral"]', { hasText: 'runs of prod in this channel' }).last();
  await grid.waitFor({ timeout: 20_000 });
  await grid.getByText(/^The last 3 runs of prod in this channel, oldest on the left$/).waitFor();
  // A column per run, each linking to its run message.
  const columns = grid.locator('.context a');
  expect(await columns.allTextContents()).toEqual(['①', '②', '③']);
  for (const href of await columns.evaluateAll((as) => as.map((a) => a.getAttribute('href'))))
    expect(href).toMatch(/^https:\/\/fake\.slack\.com\/archives\/C0FAKE\/p\d+$/);
  // A row per check of prod (26), by name: the create order check red in all three, the refunds degraded in all three.
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText, the lines as drawn (a section's rows are joined by <br>)
  const text = (await grid.innerText()).split('\n');
  const rows = text.filter((line) => /^[🟩🟥🟨⬜]{3} {1,2}\S/u.test(line));
  expect(rows).toHaveLength(26);
  expect(rows).toContain('🟥🟥🟥  Public API · create order');
  expect(rows).toContain('🟨🟨🟨  Payments API · refunds');
  expect(rows.filter((r) => r.startsWith('🟩🟩🟩'))).toHaveLength(23);
  // The flaky one fails one run in two: red or green, never degraded or missing.
  expect(rows.find((r) => r.endsWith('Checkout · pay with card'))).toMatch(/^[🟩🟥]{3} {2}Checkout · pay with card$/u);
  await grid.getByText(/🟩 passed · 🟥 failed · 🟨 degraded · ⬜ not in that run/).waitFor();
  await grid.screenshot({ path: screenshotPath('history.png') });
}, 180_000);

test('the page draws Block Kit as Slack does: context elements side by side, filled button styles, names for IDs, a form laid out', async () => {
  // The page's own renderer (its script's functions), on blocks made for the purpose; in the page, so as text.
  const context = await page.evaluate<{ parts: string[]; text: string }>(`(() => {
    const host = document.createElement('div');
    host.innerHTML = blocks([{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Triggered by <@U0ALICE>' }, { type: 'mrkdwn', text: '3 checks' }, { type: 'mrkdwn', text: 'in <#C0FAKE>' }] }], {});
    const block = host.querySelector('.context');
    return { parts: [...block.children].map((c) => c.textContent), text: block.textContent };
  })()`);
  // As Slack: the elements one after the other, no separator drawn between them; IDs by name.
  expect(context).toEqual({ parts: ['Triggered by @alice', '3 checks', 'in #general'], text: 'Triggered by @alice3 checksin #general' });
  const mentions = await page.evaluate<string[]>(
    `['<@U0BOB>', '<#C0RANDOM|old-name>', '<@U0NOBODY>', '<!subteam^S0ONCALL|@oncall>'].map((t) => mrkdwn(t).replace(/<[^>]+>/g, ''))`,
  );
  expect(mentions).toEqual(['@bob', '#random', '@U0NOBODY', '@oncall']);

  // Button styles filled, as Slack draws them: primary green, danger red, both with white text.
  const colours = await page.evaluate<string[][]>(`(() => {
    const host = document.createElement('div');
    host.innerHTML = blocks([{ type: 'actions', elements: ['primary', 'danger'].map((style) => ({ type: 'button', action_id: style, style, text: { type: 'plain_text', text: style } })) }], {});
    document.body.appendChild(host);
    const colours = [...host.querySelectorAll('button')].map((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]);
    host.remove();
    return colours;
  })()`);
  expect(colours).toEqual([
    ['rgb(0, 122, 90)', 'rgb(255, 255, 255)'],
    ['rgb(224, 30, 90)', 'rgb(255, 255, 255)'],
  ]);

  // The form: the checkbox beside its label on one line, the channel by name.
  await page.getByRole('textbox', { name: 'Message' }).fill('/checkly');
  await page.keyboard.press('Enter');
  const modal = page.locator('[data-testid="modal"]');
  await modal.getByRole('heading', { name: 'Run Checkly checks' }).waitFor({ timeout: 20_000 });
  const box = (await modal.getByRole('checkbox').boundingBox())!;
  const label = (await modal.getByText('Ask Checkly to refresh its check cache first').boundingBox())!;
  expect(box.width).toBeLessThan(24);
  expect(label.x).toBeGreaterThan(box.x + box.width);
  expect(Math.abs(label.y + label.height / 2 - (box.y + box.height / 2))).toBeLessThan(box.height);
  await modal.getByText('The run is posted in #general').waitFor();
  expect(await modal.getByText('C0FAKE').count()).toBe(0);
  await modal.getByRole('button', { name: 'Cancel' }).click();
}, 60_000);

test('the Workflows entry runs the step with a form and shows its verdict; the Home tab lists the run, pins its target and runs the pin', async () => {
  await page.goto(url);
  await page.getByRole('link', { name: '⚡ Workflows' }).click();
  const form = page.locator('[data-testid="workflow"]');
  await form.getByRole('textbox', { name: 'Checks to run' }).fill('api,eu');
  await form.getByRole('combobox', { name: 'Channel' }).selectOption({ label: '# random' });
  await form.getByRole('button', { name: 'Run workflow' }).click();
  // The step waits for its run, then completes with the run's verdict and the link to its message.
  const done = page.locator('[data-testid="workflow-run"]', { hasText: 'Completed' }).first();
  await done.waitFor({ timeout: 60_000 });
  await done.getByText(/permalink: https:\/\/fake\.slack\.com\/archives\/C0RANDOM\//).waitFor();
  await done.getByText(/summary: Checkly run api,eu: /).waitFor();
  await page.locator('#screen-workflows').screenshot({ path: screenshotPath('workflow.png') });
  // The run is in #random, started by the workflow for the person who ran it.
  await page.getByRole('link', { name: '# random' }).click();
  const inRandom = page.locator('#log > [data-testid="message"]', { hasText: 'Checkly run: api,eu' }).first();
  await inRandom.getByText('Started by a workflow for @alice').waitFor({ timeout: 20_000 });

  // Pin the run's target from its "…" menu, then open the Home tab: the run and the pin are there.
  await inRandom.locator('select.overflow').selectOption({ label: '📌 Pin to my Home' });
  await page.locator('[data-testid="ephemeral"]', { hasText: 'Pinned' }).first().waitFor({ timeout: 20_000 });
  await page.getByRole('link', { name: '● Checkly' }).click();
  const home = page.locator('[data-testid="home"]');
  await home.getByText('Pinned runs').first().waitFor({ timeout: 20_000 });
  await home
    .getByText(/api,eu in #random/)
    .first()
    .waitFor();
  await home.getByRole('button', { name: 'Run again' }).first().waitFor();
  await home.screenshot({ path: screenshotPath('home.png') });
  // The pin's Run starts it in #random again; the tab says so.
  const inRandomCount = `state.items.filter((i) => i.kind === 'message' && i.channel === 'C0RANDOM' && !i.threadTs).length`;
  const before = Number(await page.evaluate(inRandomCount));
  await home.getByRole('button', { name: 'Run', exact: true }).first().click();
  await home.getByText(/Started api,eu in #random/).waitFor({ timeout: 20_000 });
  await page.waitForFunction(`${inRandomCount} === ${before + 1}`, undefined, { timeout: 20_000 });
}, 120_000);

/** The README's pictures in docs/ when asked for (`DEMO_SCREENSHOT=1`); a temporary file otherwise, so a test run leaves the tree clean. */
