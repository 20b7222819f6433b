// Drives gate's web approval page in real headless Chromium (Debian's /usr/bin/chromium, via
// playwright-core) and prints, as one JSON line, what a person would have seen. Usage:
//   node approve.mjs '{"mode": "...", "url": "http://127.0.0.1:PORT/r/ID", ...}'
// Modes:
//   anonymous     open the page without signing in
//   decide        sign in as `login` at the provider's real login and consent pages, open the
//                 full command, write `comment`, press `decision` ("approve" or "deny")
//   forgery       sign in, then post decisions that must be refused: no CSRF token, a wrong
//                 token, a foreign Origin, a form on another origin; then sign out, and put
//                 the old session cookie back
//   tamper-state  sign in but change `state` on the way back to /auth/callback
//   swap-code     sign in twice, in two browsers, and bring the second one's code to the first
//   login         sign in as `login` and report the page that comes back
//   decide-each   for each URL read from stdin, one a line: open it (signing in as `login` the
//                 first time), press Approve, and print {"result", "clicked_ns"} (the wall clock
//                 as Approve was pressed, in nanoseconds); for benches/chat-latency.py
// Optional: "screenshot": "FILE.png".
import { chromium } from 'playwright-core';

const options = JSON.parse(process.argv[2] ?? '{}');
const CHROMIUM = process.env.GATE_TEST_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 20000;

const text = async (page, selector) => {
  const element = await page.$(selector);
  return element ? (await element.textContent()).trim() : null;
};

async function read(page, response) {
  return {
    status: response ? response.status() : null,
    url: page.url(),
    title: await page.title(),
    command: await text(page, '#command'),
    fullCommand: await text(page, '#full-command'),
    fullVisible: (await page.$('#full-command')) ? await page.isVisible('#full-command') : false,
    buttons: await page.$$eval('form#decide button', (buttons) => buttons.map((b) => b.textContent.trim())),
    signInLink: (await page.$('#sign-in')) !== null,
    signedIn: await text(page, '#signed-in'),
    cannotDecide: await text(page, '#cannot-decide'),
    result: await text(page, '#result'),
    state: await text(page, '#state'),
    approvals: await text(page, '#approvals'),
    message: await text(page, '#message'),
    body: (await page.textContent('body'))?.replace(/\s+/g, ' ').trim().slice(0, 2000),
  };
}

// From the page's "Sign in to decide" link through the provider's login and consent pages.
async function signIn(page, login) {
  await Promise.all([page.waitForURL(/\/(interaction|auth)\//, { timeout: TIMEOUT }), page.click('#sign-in')]);
  await page.waitForSelector('input[name=login]', { timeout: TIMEOUT });
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  // The consent page ("Continue"); skipped by the provider when consent was given before.
  const consent = await page.waitForSelector('button:has-text("Continue"), #command, #message', { timeout: TIMEOUT });
  if ((await consent.textContent()).trim() === 'Continue') {
    const [response] = await Promise.all([
      page.waitForNavigation({ url: (url) => !url.pathname.startsWith('/interaction'), timeout: TIMEOUT }),
      consent.click(),
    ]);
    await page.waitForLoadState('load');
    return response;
  }
  return null;
}

// Signs in but stops the provider's redirect back to /auth/callback before the browser follows
// it (Chromium's own request interception sees every request of a redirect chain); the URL.
async function signInUntilCallback(page, context) {
  let callback = null;
  const cdp = await context.newCDPSession(page);
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/auth/callback*', requestStage: 'Request' }] });
  cdp.on('Fetch.requestPaused', async ({ requestId, request }) => {
    callback = request.url;
    await cdp.send('Fetch.failRequest', { requestId, errorReason: 'Aborted' }).catch(() => {});
  });
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(options.url);
  await signIn(page, options.login).catch(() => null);
  for (let waited = 0; !callback && waited < TIMEOUT; waited += 100) await page.waitForTimeout(100);
  if (!callback) throw new Error('the provider never redirected to /auth/callback');
  await cdp.send('Fetch.disable');
  return { callback };
}

async function run(page, context, browser) {
  const { mode, url } = options;
  if (mode === 'anonymous') {
    return read(page, await page.goto(url));
  }
  if (mode === 'login') {
    await page.goto(url);
    return read(page, await signIn(page, options.login));
  }
  if (mode === 'decide') {
    await page.goto(url);
    await signIn(page, options.login);
    await page.waitForSelector('#command', { timeout: TIMEOUT });
    const before = await read(page, null);
    // The exact command is behind the "show" control.
    await page.click('#full summary');
    const shown = await page.isVisible('#full-command');
    if (options.comment) await page.fill('#comment', options.comment);
    const [response] = await Promise.all([
      page.waitForNavigation({ timeout: TIMEOUT }),
      page.click(`form#decide button[value=${options.decision ?? 'approve'}]`),
    ]);
    return { before, shownAfterClick: shown, after: await read(page, response) };
  }
  if (mode === 'forgery') {
    await page.goto(url);
    await signIn(page, options.login);
    await page.waitForSelector('#command', { timeout: TIMEOUT });
    const token = await page.$eval('form#decide input[name=csrf]', (input) => input.value);
    const decide = `${url}/decide`;
    const origin = new URL(url).origin;
    const post = async (form, headers) => {
      const response = await context.request.post(decide, { form, headers, maxRedirects: 0 });
      const message = /<p id="message">([^<]*)<\/p>/.exec(await response.text());
      return { status: response.status(), body: message ? message[1] : null };
    };
    const result = {
      noToken: await post({ decision: 'approve' }, { origin }),
      wrongToken: await post({ decision: 'approve', csrf: token.slice(0, -4) + 'AAAA' }, { origin }),
      foreignOrigin: await post({ decision: 'approve', csrf: token }, { origin: 'http://evil.example' }),
    };
    // A form on a page of another origin, with the right token even: the browser itself posts.
    const evil = await context.newPage();
    await evil.setContent(`<form id=f method=post action="${decide}"><input name=csrf value="${token}"><input name=decision value=approve></form>`);
    const [crossSite] = await Promise.all([evil.waitForNavigation({ timeout: TIMEOUT }), evil.$eval('#f', (f) => f.submit())]);
    result.crossSiteForm = { status: crossSite.status(), body: (await evil.textContent('body')).replace(/\s+/g, ' ').trim() };
    result.after = await read(page, await page.goto(url));
    // Signing out ends the session: even the old cookie, put back, no longer signs in.
    const session = (await context.cookies()).find((cookie) => cookie.name === 'gate_session');
    const [loggedOut] = await Promise.all([page.waitForNavigation(), page.click('form[action="/auth/logout"] button')]);
    result.afterLogout = await read(page, loggedOut);
    await context.addCookies([session]);
    result.oldCookie = await read(page, await page.goto(url));
    return result;
  }
  if (mode === 'tamper-state') {
    const { callback } = await signInUntilCallback(page, context);
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')}x`);
    const first = await read(page, await page.goto(tampered.toString()));
    // The pre-login cookie is spent: the untampered answer is refused now too.
    const replay = await read(page, await page.goto(callback));
    const after = await read(page, await page.goto(url));
    return { tampered: first, replay, after };
  }
  if (mode === 'swap-code') {
    // Authorization code injection: another browser's code, brought to this browser's callback
    // with this browser's own state. PKCE ties the code to the other browser's verifier.
    const mine = await signInUntilCallback(page, context);
    const otherContext = await browser.newContext();
    const other = await signInUntilCallback(await otherContext.newPage(), otherContext);
    const swapped = new URL(mine.callback);
    swapped.searchParams.set('code', new URL(other.callback).searchParams.get('code'));
    const result = await read(page, await page.goto(swapped.toString()));
    const after = await read(page, await page.goto(url));
    return { swapped: result, after };
  }
  if (mode === 'decide-each') {
    const { createInterface } = await import('node:readline');
    let signedIn = false;
    for await (const line of createInterface({ input: process.stdin })) {
      await page.goto(line.trim());
      if (!signedIn) {
        await signIn(page, options.login);
        signedIn = true;
      }
      await page.waitForSelector('form#decide button[value=approve]', { timeout: TIMEOUT });
      const clicked = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
      const [response] = await Promise.all([
        page.waitForNavigation({ timeout: TIMEOUT }),
        page.click('form#decide button[value=approve]'),
      ]);
      const seen = await read(page, response);
      process.stdout.write(`${JSON.stringify({ result: seen.result, clicked_ns: clicked.toString() })}\n`);
    }
    return { done: true };
  }
  throw new Error(`unknown mode ${mode}`);
}

let browser;
try {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: TIMEOUT });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const result = await run(page, context, browser);
  if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
  console.log(JSON.stringify(result));
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.stack ?? error) }));
  process.exitCode = 1;
} finally {
  await browser?.close();
}
