// The consumer verification page in a real browser: imports a small supply chain into a fresh
// data folder, serves it with the real `serialhub serve`, and opens the page in Chromium for
// every answer the check can give.
//
// Run by `crates/cli/tests/it/browser.rs` (cargo test), or by hand:
//   npm ci --prefix tests/browser && SERIALHUB_BIN=target/debug/serialhub node tests/browser/consumer.mjs
// Needs Chromium at /usr/bin/chromium (`apt-get install chromium`). Exits 0 when every case
// passes; otherwise prints what failed and exits 1. Screenshots of every case are kept in
// target/browser-artefacts/ (at the workspace root).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const NOW = '2026-11-24T12:00:00Z';
const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTEFACTS = path.join(ROOT, 'target', 'browser-artefacts');
const LISTEN_TIMEOUT_MS = 20_000;
const RUN_TIMEOUT_MS = 90_000;

// The fixture: one product (GTIN 04012345111118, from the SGTINs below), made by party A and
// sold by pharmacy B. Neither party may ever appear on the page: a consumer sees the pack only.
const GTIN = '04012345111118';
const SGTIN = (serial) => `urn:epc:id:sgtin:4012345.011111.${serial}`;
const PARTY_A = { gln: '4012345000009', sgln: 'urn:epc:id:sgln:4012345.00000.0', pgln: 'urn:epc:id:pgln:4012345.00000', name: 'Acme Pharma Werk Berlin' };
const PARTY_B = { gln: '4098765000003', sgln: 'urn:epc:id:sgln:4098765.00000.0', pgln: 'urn:epc:id:pgln:4098765.00000', name: 'Sunny Street Pharmacy' };
const MANUFACTURER_NAME = 'Acme Pharma GmbH';
const FORBIDDEN_ON_PAGE = [
  PARTY_A.gln, PARTY_A.sgln, PARTY_A.pgln, PARTY_A.name,
  PARTY_B.gln, PARTY_B.sgln, PARTY_B.pgln, PARTY_B.name,
  MANUFACTURER_NAME, 'Acme', 'Sunny Street', 'Berlin', 'sgln', 'pgln',
];

/** Every answer the check can give, and the pack that gives it. */
const STATUS_CASES = [
  { name: 'genuine', lot: 'L1', serial: '1001', expiry: '280630', status: 'genuine' },
  { name: 'dispensed', lot: 'L1', serial: '1002', expiry: '280630', status: 'dispensed' },
  { name: 'inactive', lot: 'L1', serial: '1003', expiry: '280630', status: 'inactive' },
  { name: 'pending', lot: 'L1', serial: '1004', expiry: '280630', status: 'pending' },
  { name: 'not-in-circulation', lot: 'L1', serial: '1005', expiry: '280630', status: 'not_in_circulation' },
  { name: 'recalled', lot: 'L2', serial: '2001', expiry: '280630', status: 'recalled' },
  { name: 'expired', lot: 'L3', serial: '3001', expiry: '260131', status: 'expired' },
  { name: 'unknown-serial', lot: 'L1', serial: '9999', expiry: '280630', status: 'unknown' },
  { name: 'wrong-lot', lot: 'L9', serial: '1001', expiry: '280630', status: 'unknown' },
];

const digitalLink = ({ lot, serial, expiry }) =>
  `/01/${GTIN}/10/${encodeURIComponent(lot)}/21/${encodeURIComponent(serial)}?17=${expiry}`;

// ---------------------------------------------------------------------------------------------
// Fixture documents (EPCIS 2.0 JSON-LD).

const CONTEXT = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { cbvmda: 'urn:epcglobal:cbv:mda:' }];

function epcisDocument(events, masterData) {
  // The header must come before the body (the importer streams): object keys keep this order.
  return {
    '@context': CONTEXT,
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-11-24T00:00:00Z',
    ...(masterData ? { epcisHeader: { epcisMasterData: { vocabularyList: masterData } } } : {}),
    epcisBody: { eventList: events },
  };
}

function event(time, fields) {
  return { type: 'ObjectEvent', eventTime: time, eventTimeZoneOffset: '+00:00', ...fields };
}

function commission(time, serials, lot, expiry) {
  return event(time, {
    epcList: serials.map(SGTIN),
    action: 'ADD',
    bizStep: 'commissioning',
    disposition: 'active',
    readPoint: { id: PARTY_A.sgln },
    bizLocation: { id: PARTY_A.sgln },
    ilmd: { 'cbvmda:lotNumber': lot, 'cbvmda:itemExpirationDate': expiry },
  });
}

function observe(time, serials, bizStep, disposition, at, more = {}) {
  return event(time, { epcList: serials.map(SGTIN), action: 'OBSERVE', bizStep, disposition, readPoint: { id: at.sgln }, bizLocation: { id: at.sgln }, ...more });
}

const mda = (name, value) => ({ id: `urn:epcglobal:cbv:mda#${name}`, attribute: value });

function fixture() {
  const masterData = [
    {
      type: 'urn:epcglobal:epcis:vtype:EPCClass',
      vocabularyElementList: [{
        id: 'urn:epc:idpat:sgtin:4012345.011111.*',
        attributes: [
          mda('regulatedProductName', 'Examplamab'),
          mda('dosageFormType', 'TABLET'),
          mda('strengthDescription', '10 mg'),
          mda('manufacturerOfTradeItemPartyName', MANUFACTURER_NAME),
        ],
      }],
    },
    {
      type: 'urn:epcglobal:epcis:vtype:BusinessLocation',
      vocabularyElementList: [
        { id: PARTY_A.sgln, attributes: [mda('name', PARTY_A.name), mda('city', 'Berlin')] },
        { id: PARTY_B.sgln, attributes: [mda('name', PARTY_B.name), mda('city', 'Springfield')] },
      ],
    },
  ];
  const made = epcisDocument([
    // Lot L1: in circulation (1001), dispensed (1002), destroyed (1003); 1004 made an hour ago,
    // 1005 sixty days ago and never shipped.
    commission('2026-11-10T08:00:00Z', ['1001', '1002', '1003'], 'L1', '2028-06-30'),
    commission('2026-09-25T08:00:00Z', ['1005'], 'L1', '2028-06-30'),
    commission('2026-11-24T11:00:00Z', ['1004'], 'L1', '2028-06-30'),
    // Lot L2: recalled after shipping. Lot L3: shipped, and expired in January 2026.
    commission('2026-11-10T08:00:00Z', ['2001'], 'L2', '2028-06-30'),
    commission('2025-12-01T08:00:00Z', ['3001'], 'L3', '2026-01-31'),
  ], masterData);
  const shipment = {
    sourceList: [{ type: 'owning_party', source: PARTY_A.pgln }],
    destinationList: [{ type: 'owning_party', destination: PARTY_B.pgln }],
  };
  const moved = epcisDocument([
    observe('2025-12-02T09:00:00Z', ['3001'], 'shipping', 'in_transit', PARTY_A, shipment),
    observe('2026-11-12T09:00:00Z', ['1001', '1002', '1003', '2001'], 'shipping', 'in_transit', PARTY_A, shipment),
    observe('2026-11-13T10:00:00Z', ['1001', '1002', '1003', '2001'], 'receiving', 'in_progress', PARTY_B),
    observe('2026-11-20T15:00:00Z', ['1002'], 'dispensing', 'dispensed', PARTY_B),
    event('2026-11-21T09:00:00Z', {
      epcList: [SGTIN('1003')], action: 'DELETE', bizStep: 'decommissioning', disposition: 'destroyed',
      readPoint: { id: PARTY_B.sgln }, bizLocation: { id: PARTY_B.sgln },
    }),
    event('2026-11-22T09:00:00Z', {
      action: 'OBSERVE', bizStep: 'holding',
      quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.L2', quantity: 1 }],
      persistentDisposition: { set: ['recalled'] },
      readPoint: { id: PARTY_A.sgln }, bizLocation: { id: PARTY_A.sgln },
    }),
  ]);
  return { '1-made.jsonld': made, '2-moved.jsonld': moved };
}

// ---------------------------------------------------------------------------------------------
// The server.

let server = null;
const serverLog = [];

// Whatever happens (a failed assertion, the run's time limit), the server does not outlive us.
process.on('exit', () => server?.kill('SIGKILL'));

function fail(message) {
  console.error(`consumer page test: FAILED: ${message}`);
  if (serverLog.length) console.error(`server log (last 40 lines):\n${serverLog.slice(-40).join('\n')}`);
  process.exit(1);
}

function requireTools() {
  const bin = process.env.SERIALHUB_BIN;
  if (!bin) fail('SERIALHUB_BIN is not set: run this through `cargo test -p serialhub --test it browser`, or set it to a built serialhub binary');
  if (!fs.existsSync(bin)) fail(`SERIALHUB_BIN=${bin} does not exist: build it first (cargo build -p serialhub)`);
  if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: install it with \`apt-get install chromium\``);
  return bin;
}

function runImport(bin, dir, data, files) {
  const result = spawnSync(bin, ['import', '--data', data, ...files], {
    cwd: dir,
    env: { ...process.env, SERIALHUB_NOW: NOW },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) {
    fail(`serialhub import exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
}

/** Stops the server and waits for it to exit (at most 5 s, then kills it). */
async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// The anti-harvesting limits stay on, but high: with the clock pinned no bucket refills, and
// the default burst per address (20) is about what one run asks. Limits have their own tests.
const CONFIG = `[verify.limits]
address_per_minute = 6000
address_burst = 1000
serial_per_minute = 6000
serial_burst = 1000
`;

/** Starts `serialhub serve` on a free port and resolves to its `127.0.0.1:PORT`. */
function startServer(bin, dir, data) {
  const config = path.join(dir, 'serialhub.toml');
  fs.writeFileSync(config, CONFIG);
  server = spawn(bin, ['serve', '--data', data, '--listen', '127.0.0.1:0', '--config', config], {
    cwd: dir,
    env: { ...process.env, SERIALHUB_NOW: NOW },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not log "listening" within ${LISTEN_TIMEOUT_MS / 1000} s`)), LISTEN_TIMEOUT_MS);
    server.on('exit', (code, signal) => reject(new Error(`the server exited early (${code ?? signal})`)));
    server.on('error', reject);
    readline.createInterface({ input: server.stderr }).on('line', (line) => {
      serverLog.push(line);
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'listening' && typeof entry.addr === 'string') {
        clearTimeout(timer);
        resolve(entry.addr);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The browser.

/** A page whose console errors, uncaught exceptions and CSP violations are all collected. */
async function watchedPage(context, problems) {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' || /Content.Security.Policy/i.test(text)) {
      problems.push({ url: page.url(), text: `console ${message.type()}: ${text}`, resource: message.location()?.url ?? '' });
    }
  });
  page.on('pageerror', (error) => problems.push({ url: page.url(), text: `uncaught: ${error.message}` }));
  return page;
}

async function expectCleanPage(page, problems, allowed = () => false) {
  const violations = await page.evaluate(() => window.__cspViolations);
  assert.deepEqual(violations, [], `CSP violations on ${page.url()}`);
  const unexpected = problems.filter((problem) => !allowed(problem));
  assert.deepEqual(unexpected.map((problem) => `${problem.url}: ${problem.text}`), [], 'console errors');
  problems.length = 0;
}

async function expectNoParty(page) {
  const text = await page.locator('body').innerText();
  const html = await page.content();
  for (const forbidden of FORBIDDEN_ON_PAGE) {
    assert.ok(!text.includes(forbidden), `the page shows a supply-chain party: ${forbidden}\n${text}`);
    assert.ok(!html.includes(forbidden), `the page's HTML holds a supply-chain party: ${forbidden}`);
  }
}

async function resultOf(page) {
  const result = page.locator('#result[data-status]');
  await result.waitFor();
  return { status: await result.getAttribute('data-status'), text: await result.innerText() };
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(ARTEFACTS, `consumer-${name}.png`), fullPage: true });
}

async function api(base, code) {
  const response = await fetch(`${base}/api/consumer/check?code=${encodeURIComponent(code)}`);
  const body = await response.json();
  return { status: response.status, type: response.headers.get('content-type'), body };
}

/** The JSON's shape: every key, with the type of its value, recursively. */
function shape(value) {
  if (value === null || typeof value !== 'object') return value === null ? 'null' : typeof value;
  if (Array.isArray(value)) return value.map(shape);
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape(value[key])]));
}

// ---------------------------------------------------------------------------------------------
// The cases.

async function statusCases(base, context) {
  const problems = [];
  const page = await watchedPage(context, problems);
  const texts = {};
  for (const pack of STATUS_CASES) {
    await test(`Digital Link ${pack.name}`, async () => {
      const response = await page.goto(base + digitalLink(pack));
      assert.equal(response.status(), 200, 'the page is served at the Digital Link path');
      const csp = response.headers()['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self'/, `the page is served with a strict CSP (got "${csp}")`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      const { status, text } = await resultOf(page);
      await screenshot(page, pack.name);
      assert.equal(status, pack.status, `status of ${digitalLink(pack)}:\n${text}`);
      assert.ok(text.includes(pack.lot), `the batch ${pack.lot} is shown:\n${text}`);
      assert.ok(text.includes(pack.serial), `the serial ${pack.serial} is shown:\n${text}`);
      assert.ok(text.includes(GTIN), `the GTIN is shown:\n${text}`);
      assert.equal(await page.locator('#outcome[role="status"][aria-live]').count(), 1, 'the answer is in a live region');
      assert.equal(await page.locator('#result h2').count(), 1, 'one headline');
      await expectNoParty(page);
      await expectCleanPage(page, problems);
      texts[pack.name] = text;
    });
  }
  await test('a wrong batch reads exactly like an unknown serial', async () => {
    const unknown = await api(base, digitalLink(STATUS_CASES.find((c) => c.name === 'unknown-serial')));
    const wrongLot = await api(base, digitalLink(STATUS_CASES.find((c) => c.name === 'wrong-lot')));
    assert.equal(unknown.status, 200);
    assert.equal(wrongLot.status, 200);
    assert.deepEqual(shape(wrongLot.body), shape(unknown.body), 'same shape');
    assert.equal(wrongLot.body.product, null, 'no product for an unknown pack');
    // On the page, with each pack's own values taken out, the two answers say the same words.
    const words = (text, pack) => text.replaceAll(pack.lot, 'LOT').replaceAll(pack.serial, 'SERIAL').replace(/Checked on .*/, '');
    assert.equal(
      words(texts['wrong-lot'] ?? '', STATUS_CASES.find((c) => c.name === 'wrong-lot')),
      words(texts['unknown-serial'] ?? '', STATUS_CASES.find((c) => c.name === 'unknown-serial')),
    );
  });
  await page.close();
}

async function formCases(base, context) {
  const problems = [];
  const page = await watchedPage(context, problems);

  await test('/check: the four values', async () => {
    await page.goto(`${base}/check`);
    await page.getByLabel('Product code').fill(GTIN);
    await page.getByLabel('Serial number').fill('1001');
    await page.getByLabel('Batch').fill('L1');
    await page.getByLabel('Expiry date').fill('2028-06-30');
    await page.getByRole('button', { name: 'Check this pack' }).click();
    const { status, text } = await resultOf(page);
    await screenshot(page, 'check-fields');
    assert.equal(status, 'genuine', text);
    assert.ok(text.includes('L1') && text.includes('1001'), text);
    assert.ok(new URL(page.url()).pathname.startsWith(`/01/${GTIN}`), `the address is the pack's Digital Link: ${page.url()}`);
    await expectNoParty(page);
    await expectCleanPage(page, problems);
  });

  await test('/check: the four values as often printed (13-digit code, month and year only)', async () => {
    await page.goto(`${base}/check`);
    assert.equal(await page.locator('#scan-start').isVisible(), false, 'no camera button where the browser cannot read barcodes');
    await page.getByLabel('Product code').fill(GTIN.slice(1));
    await page.getByLabel('Serial number').fill('1001');
    await page.getByLabel('Batch').fill('L1');
    await page.getByLabel('Expiry date').fill('06/2028');
    await page.getByRole('button', { name: 'Check this pack' }).click();
    const { status, text } = await resultOf(page);
    assert.equal(status, 'genuine', text);
    await expectCleanPage(page, problems);
  });

  await test('/check: the four values, with a mistake, say what is wrong before asking', async () => {
    await page.goto(`${base}/check`);
    let asked = 0;
    const count = (request) => { if (request.url().includes('/api/consumer/check')) asked += 1; };
    page.on('request', count);
    await page.getByLabel('Product code').fill('0401234511111');
    await page.getByLabel('Serial number').fill('1001');
    await page.getByRole('button', { name: 'Check this pack' }).click();
    await page.locator('#lot-error').waitFor();
    assert.equal(await page.locator('[aria-invalid="true"]').count(), 2, 'the batch and expiry are missing');
    assert.equal(await page.locator('#result').count(), 0);
    page.off('request', count);
    assert.equal(asked, 0, 'nothing is sent before the values are complete');
    await screenshot(page, 'check-fields-missing');
    await expectCleanPage(page, problems);
  });

  await test('/check: the text under the barcode', async () => {
    await page.goto(`${base}/check`);
    await page.getByLabel('Code', { exact: true }).fill(`(01)${GTIN}(17)280630(10)L1(21)1001`);
    await page.getByRole('button', { name: 'Check this code' }).click();
    const { status, text } = await resultOf(page);
    await screenshot(page, 'check-code');
    assert.equal(status, 'genuine', text);
    await expectCleanPage(page, problems);
  });

  // A 400 makes Chromium log "Failed to load resource" for the API call: that one is expected.
  const theRefusedCall = (problem) => /status of 400/.test(problem.text) && problem.resource.includes('/api/consumer/check');

  await test('/check: a code with no expiry date is refused with the reason', async () => {
    const incomplete = `(01)${GTIN}(10)L1(21)1001`;
    const refused = await api(base, incomplete);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(refused.type ?? '', /^application\/problem\+json/);
    assert.equal(typeof refused.body.detail, 'string');
    await page.goto(`${base}/check`);
    await page.getByLabel('Code', { exact: true }).fill(incomplete);
    await page.getByRole('button', { name: 'Check this code' }).click();
    const { status, text } = await resultOf(page);
    await screenshot(page, 'incomplete');
    assert.equal(status, 'invalid', text);
    const detail = refused.body.detail.trim().replace(/\.$/, '').toLowerCase();
    assert.ok(text.toLowerCase().includes(detail), `the server's reason "${refused.body.detail}" is shown:\n${text}`);
    assert.match(text, /complete code/);
    await expectCleanPage(page, problems, theRefusedCall);
  });

  await test('a Digital Link with no expiry date is refused with the reason', async () => {
    await page.goto(`${base}/01/${GTIN}/10/L1/21/1001`);
    const { status, text } = await resultOf(page);
    await screenshot(page, 'incomplete-link');
    assert.equal(status, 'invalid', text);
    await expectCleanPage(page, problems, theRefusedCall);
  });

  await page.close();
}

async function cameraCase(base, browser) {
  await test('/check: the camera reads a GS1 DataMatrix', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await context.grantPermissions(['camera'], { origin: base });
    const problems = [];
    const page = await watchedPage(context, problems);
    // Chromium on Linux has no BarcodeDetector: a stand-in reads, on its third look, what a phone
    // reads from the pack (a leading FNC1 as a group separator, another after the batch). The
    // camera is Chromium's fake one.
    await page.addInitScript(() => {
      let looks = 0;
      window.BarcodeDetector = class {
        static async getSupportedFormats() { return ['qr_code', 'data_matrix', 'ean_13']; }
        constructor({ formats }) { window.__scanFormats = formats; }
        async detect(source) {
          looks += 1;
          window.__scanSource = source?.tagName;
          return looks < 3 ? [] : [{ format: 'data_matrix', rawValue: '\u001d0104012345111118172806301' + '0L2\u001d212001' }];
        }
      };
    });
    await page.goto(`${base}/check`);
    await page.getByRole('button', { name: 'Scan with camera' }).click();
    const { status, text } = await resultOf(page);
    await screenshot(page, 'camera');
    assert.equal(status, 'recalled', text);
    assert.deepEqual(await page.evaluate(() => window.__scanFormats), ['data_matrix', 'qr_code']);
    assert.equal(await page.evaluate(() => window.__scanSource), 'VIDEO');
    assert.equal(await page.evaluate(() => document.getElementById('scan-video').srcObject), null, 'the camera is stopped after a read');
    assert.ok(await page.locator('#scan-view').isHidden());
    await expectCleanPage(page, problems);
    await context.close();
  });
}

async function phoneCases(base, browser) {
  for (const width of [390, 360]) {
    await test(`a phone ${width} px wide`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const problems = [];
      const page = await watchedPage(context, problems);
      for (const [name, pack] of [['genuine', STATUS_CASES[0]], ['recalled', STATUS_CASES[5]]]) {
        await page.goto(base + digitalLink(pack));
        const { status } = await resultOf(page);
        assert.equal(status, pack.status);
        await screenshot(page, `phone-${width}-${name}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `no sideways scrolling at ${width} px (${overflow} px too wide)`);
        const fontSize = await page.locator('#result h2').evaluate((h2) => parseFloat(getComputedStyle(h2).fontSize));
        assert.ok(fontSize >= 24, `the headline is big (${fontSize} px)`);
      }
      await page.goto(`${base}/check`);
      await page.locator('#fields-form').waitFor();
      await screenshot(page, `phone-${width}-check`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the form fits ${width} px (${overflow} px too wide)`);
      await expectCleanPage(page, problems);
      await context.close();
    });
  }
}

// ---------------------------------------------------------------------------------------------

const failures = [];
let passed = 0;

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failures.push(name);
    console.log(`FAIL ${name}\n${String(error?.stack ?? error).replace(/^/gm, '     ')}`);
  }
}

async function main() {
  const deadline = setTimeout(() => fail(`the run took more than ${RUN_TIMEOUT_MS / 1000} s`), RUN_TIMEOUT_MS);
  deadline.unref();
  const bin = requireTools();
  fs.mkdirSync(ARTEFACTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serialhub-browser-'));
  let browser = null;
  try {
    const data = path.join(dir, 'data');
    const files = Object.entries(fixture()).map(([name, doc]) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, JSON.stringify(doc, null, 2));
      return file;
    });
    runImport(bin, dir, data, files);
    const addr = await startServer(bin, dir, data).catch((error) => fail(error.message));
    const base = `http://${addr}`;
    // The fake camera (a generated picture) stands in for a phone's, without asking.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: 'en-GB' });
    await statusCases(base, context);
    await formCases(base, context);
    await context.close();
    await cameraCase(base, browser);
    await phoneCases(base, browser);
  } catch (error) {
    failures.push(`the run itself: ${error?.stack ?? error}`);
  } finally {
    await browser?.close().catch(() => {});
    await stopServer();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length) {
    fail(`${failures.length} case(s) failed (${passed} passed):\n  ${failures.join('\n  ')}\nscreenshots: ${ARTEFACTS}`);
  }
  console.log(`consumer page test: all ${passed} cases passed; screenshots in ${ARTEFACTS}`);
}

await main();
