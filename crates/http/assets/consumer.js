// The consumer verification page's behaviour: read the code (from a GS1 Digital Link path, the
// form or the camera), ask GET /api/consumer/check, and say what the answer means in plain words.
// Plain modern JavaScript with no dependencies: the page runs under `script-src 'self'`.

const API = '/api/consumer/check';

// Digital Link primary keys (GS1 Digital Link 1.2, section 4): a path whose first segment is one
// of these is a code to check at once. A path may carry a prefix before the key
// (`/some/prefix/01/...`), so the key is searched for, not only at the start.
const PRIMARY_KEYS = ['01', '00', '253', '255', '401', '402', '414', '417', '8003', '8004', '8006', '8010', '8013', '8017', '8018'];
const DIGITAL_LINK_PATH = new RegExp(`(^|/)(${PRIMARY_KEYS.join('|')})/[^/]+`);

// One entry per status of the check API: the headline, what to do, and a tone that picks the
// colour and icon. The headline alone must say it: colour is never the only signal.
const STATUSES = {
  genuine: {
    tone: 'ok',
    icon: '✓',
    headline: 'This pack is genuine',
    advice: [
      'The manufacturer registered a pack with exactly these details, and it is in circulation.',
      'Check that the values below match what is printed on your pack. If they do not, or the pack looks damaged or opened, ask a pharmacist before using it.',
    ],
  },
  unknown: {
    tone: 'bad',
    icon: '✕',
    headline: 'We could not find this pack',
    advice: [
      'No pack with these details is registered.',
      'First check that the four values below match your pack exactly: a typing mistake is the most common reason. If they match, do not use this medicine: show it to a pharmacist.',
    ],
  },
  dispensed: {
    tone: 'warn',
    icon: '!',
    headline: 'This pack was already supplied to a patient',
    advice: [
      'A pharmacy recorded this pack as supplied to a patient.',
      'If a pharmacy or hospital has just given it to you, this is expected. If you got it any other way, do not use it: show it to a pharmacist.',
    ],
  },
  recalled: {
    tone: 'bad',
    icon: '✕',
    headline: 'Do not use: this batch was recalled',
    advice: [
      'The batch this pack belongs to was recalled or withdrawn.',
      'Do not use it. Take it back to a pharmacy, which will tell you what to do next. If you have taken it and feel unwell, contact a doctor.',
    ],
  },
  expired: {
    tone: 'bad',
    icon: '✕',
    headline: 'This pack has expired',
    advice: [
      'Its expiry date has passed.',
      'Do not use it. Take it back to a pharmacy, which can dispose of it safely.',
    ],
  },
  pending: {
    tone: 'info',
    icon: 'i',
    headline: 'This pack cannot be confirmed yet',
    advice: [
      'It was made recently and is not yet reported as in circulation: the records can take a few days to arrive.',
      'Check again in a few days. If you need to use it before then, ask a pharmacist.',
    ],
  },
  not_in_circulation: {
    tone: 'bad',
    icon: '✕',
    headline: 'This pack was never released for sale',
    advice: [
      'It is registered, but it was never recorded as released into the supply chain. This is unusual.',
      'Do not use it: show it to a pharmacist.',
    ],
  },
  inactive: {
    tone: 'bad',
    icon: '✕',
    headline: 'This pack was taken out of the supply chain',
    advice: [
      'It was recorded as no longer for sale: for example destroyed, stolen, exported or a free sample.',
      'Do not use it: show it to a pharmacist.',
    ],
  },
};

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text: nothing is parsed as HTML). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Dates.

const LOCALE = (navigator.language || '').toLowerCase().startsWith('en') ? navigator.language : 'en-GB';

/** `2027-03-31` as `31 March 2027` (in the reader's English), or the text as given. */
function formatDate(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso ?? '');
  if (!match) return iso ?? '';
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
}

/** A timestamp as a date and time in the reader's time zone. */
function formatTimestamp(text) {
  const date = new Date(text);
  if (!text || Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: 'long', timeStyle: 'short' }).format(date);
}

function daysInMonth(year, month) {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * An expiry date as printed on a pack, as GS1 `YYMMDD`, or `{ error }`. A month without a day
 * gives day `00`, which GS1 defines as the month's last day. `DD/MM/YYYY` and `MM/DD/YYYY` cannot
 * be told apart when both numbers are 12 or less, so those are refused with a hint.
 */
function expiryToYymmdd(input) {
  const text = input.trim().replace(/^exp(iry)?\.?\s*:?\s*/i, '').trim();
  if (text === '') return { error: 'Enter the expiry date printed on the pack.' };
  let year, month, day;
  let match;
  if ((match = /^(\d{2})(\d{2})(\d{2})$/.exec(text))) {
    [year, month, day] = [2000 + Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})$/.exec(text))) {
    [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  } else if ((match = /^(\d{4})[-/. ](\d{1,2})$/.exec(text))) {
    [year, month, day] = [Number(match[1]), Number(match[2]), 0];
  } else if ((match = /^(\d{1,2})[-/. ](\d{4}|\d{2})$/.exec(text))) {
    [year, month, day] = [Number(match[2]), Number(match[1]), 0];
  } else if ((match = /^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$/.exec(text))) {
    const [first, second] = [Number(match[1]), Number(match[2])];
    year = Number(match[3]);
    if (first > 12 || first === second) [day, month] = [first, second];
    else if (second > 12) [month, day] = [first, second];
    else return { error: `${text} could be read two ways: type it as year-month-day, for example 2028-06-30.` };
  } else {
    return { error: 'Type the date as printed, for example 2028-06-30, 06/2028 or 280630.' };
  }
  if (year < 100) year += 2000;
  if (year < 2000 || year > 2099 || month < 1 || month > 12 || day > daysInMonth(year, month)) {
    return { error: `${text} is not a valid date: check it against the pack.` };
  }
  const two = (n) => String(n).padStart(2, '0');
  return { yymmdd: two(year % 100) + two(month) + two(day) };
}

// ---------------------------------------------------------------------------------------------
// Asking the server.

/**
 * A code as read or pasted, without what is no part of it: surrounding spaces and line ends, and
 * a leading FNC1 that some barcode readers pass on as a group separator (U+001D).
 */
function cleanCode(text) {
  return text.trim().replace(/^\u001d+/, '').trim();
}

// Only the latest question's answer is shown: an earlier one that arrives late is dropped.
let latestCheck = 0;

/** Asks about `code`; resolves to `{ kind, ... }` for `render`, `stale` when overtaken. */
async function check(code) {
  const ticket = ++latestCheck;
  const outcome = await ask(code);
  return ticket === latestCheck ? outcome : { kind: 'stale' };
}

/** Calls the check API with `code` and returns `{ kind, ... }`. Never throws. */
async function ask(code) {
  let response;
  try {
    response = await fetch(`${API}?code=${encodeURIComponent(code)}`, {
      headers: { Accept: 'application/json, application/problem+json' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    return { kind: 'failed' };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (response.ok && body && typeof body.status === 'string' && Object.hasOwn(STATUSES, body.status)) {
    return { kind: 'answer', answer: body };
  }
  if (response.status === 400) {
    const detail = body && typeof body.detail === 'string' ? body.detail : '';
    return { kind: 'invalid', detail };
  }
  if (response.status === 429) {
    return { kind: 'limited', seconds: retryAfterSeconds(response.headers.get('Retry-After')) };
  }
  return { kind: 'failed' };
}

/** `Retry-After` in seconds (it may be a number of seconds or an HTTP date), or null. */
function retryAfterSeconds(header) {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const when = Date.parse(header);
  if (Number.isNaN(when)) return null;
  return Math.max(1, Math.ceil((when - Date.now()) / 1000));
}

// ---------------------------------------------------------------------------------------------
// Showing the answer.

function valueRow(label, value, options = {}) {
  const shown = value === undefined || value === null || value === '' ? 'not given' : value;
  const content = options.datetime && value
    ? el('time', { datetime: options.datetime }, shown)
    : el('span', { class: options.code ? 'code-value' : undefined, translate: options.code ? 'no' : undefined }, shown);
  return [el('dt', {}, label), el('dd', {}, content)];
}

/** Name, strength and form; a form given as a code (`FILM_COATED_TABLET`) is shown as words. */
function productText(product) {
  if (!product || typeof product !== 'object') return null;
  const given = (text) => (typeof text === 'string' && text.trim() !== '' ? text.trim() : null);
  const form = given(product.form);
  const parts = [
    given(product.name),
    given(product.strength),
    form && /^[A-Z0-9_ ]+$/.test(form) ? form.toLowerCase().replaceAll('_', ' ') : form,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

function answerBlock(answer) {
  const meaning = STATUSES[answer.status];
  const code = answer.code && typeof answer.code === 'object' ? answer.code : {};
  const product = productText(answer.product);
  const checkedAt = formatTimestamp(answer.checkedAt);
  const rows = [
    product ? valueRow('Medicine', product) : null,
    valueRow('Product code (PC or GTIN)', code.gtin, { code: true }),
    valueRow('Batch', code.lot, { code: true }),
    valueRow('Expiry date (EXP)', code.expiry ? formatDate(code.expiry) : null, { datetime: code.expiry }),
    valueRow('Serial number (SN)', code.serial, { code: true }),
  ];
  return el('section', { id: 'result', class: `result tone-${meaning.tone}`, 'data-status': answer.status, 'aria-labelledby': 'result-headline' },
    el('h2', { id: 'result-headline', class: 'headline', tabindex: '-1' },
      el('span', { class: 'icon', 'aria-hidden': 'true' }, meaning.icon),
      el('span', { class: 'text' }, meaning.headline)),
    meaning.advice.map((text) => el('p', { class: 'advice' }, text)),
    el('h3', { class: 'compare-title' }, 'Compare with your pack'),
    el('dl', { class: 'values' }, rows),
    checkedAt ? el('p', { class: 'checked' }, `Checked on ${checkedAt}.`) : null);
}

function problemBlock(status, headline, paragraphs, extra) {
  return el('section', { id: 'result', class: 'result tone-bad', 'data-status': status, 'aria-labelledby': 'result-headline' },
    el('h2', { id: 'result-headline', class: 'headline', tabindex: '-1' },
      el('span', { class: 'icon', 'aria-hidden': 'true' }, '!'),
      el('span', { class: 'text' }, headline)),
    paragraphs.map((text) => el('p', { class: 'advice' }, text)),
    extra ?? null);
}

function outcomeBlock(outcome, retry) {
  switch (outcome.kind) {
    case 'answer':
      return answerBlock(outcome.answer);
    case 'invalid':
      return problemBlock('invalid', 'This code is not complete or not valid', [
        outcome.detail ? sentence(outcome.detail) : 'The code could not be read.',
        'Scan the code again, or type the complete code: the product code (GTIN), serial number, batch and expiry date.',
      ]);
    case 'limited': {
      const wait = outcome.seconds === null ? 'a minute' : `${outcome.seconds} second${outcome.seconds === 1 ? '' : 's'}`;
      return problemBlock('rate_limited', 'Too many checks', [
        `Too many checks from your connection: try again in ${wait}.`,
      ]);
    }
    default:
      return problemBlock('error', 'We could not check this pack now', [
        'The check did not work, maybe because of the connection. Try again in a few minutes.',
        'If you need the medicine now, ask a pharmacist.',
      ], retry ? el('p', {}, retryButton(retry)) : null);
  }
}

/** `text` with a capital first letter and a final full stop, as the server's detail may have neither. */
function sentence(text) {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

function retryButton(retry) {
  const button = el('button', { type: 'button', class: 'button' }, 'Try again');
  button.addEventListener('click', retry);
  return button;
}

/** Puts `outcome` in the live region; `focus` moves the keyboard there (after a form submission). */
function render(outcome, { focus = false, retry = null } = {}) {
  if (outcome.kind === 'stale') return;
  const region = $('outcome');
  const block = outcomeBlock(outcome, retry);
  region.replaceChildren(block);
  region.removeAttribute('aria-busy');
  const headline = block.querySelector('#result-headline .text')?.textContent ?? '';
  document.title = `${headline} – Check a medicine pack`;
  if (focus) block.querySelector('h2')?.focus();
  else block.scrollIntoView?.({ block: 'nearest' });
}

function showChecking() {
  const region = $('outcome');
  region.setAttribute('aria-busy', 'true');
  region.replaceChildren(el('p', { class: 'checking' }, 'Checking the pack…'));
}

// ---------------------------------------------------------------------------------------------
// The two ways in: a Digital Link path, or the forms on /check.

function isDigitalLinkPath(path) {
  return DIGITAL_LINK_PATH.test(path);
}

async function checkDigitalLink() {
  const code = location.pathname + location.search;
  $('title').textContent = 'Your medicine pack';
  $('intro').hidden = true;
  $('again').hidden = false;
  showChecking();
  const run = async () => {
    showChecking();
    render(await check(code), { retry: run });
  };
  render(await check(code), { retry: run });
}

/** Checks `code` from a form, and on an answer puts its Digital Link in the address bar. */
async function checkFromForm(code) {
  showChecking();
  const run = async () => {
    showChecking();
    const outcome = await check(code);
    render(outcome, { focus: true, retry: run });
    return outcome;
  };
  const outcome = await run();
  const link = outcome.kind === 'answer' ? outcome.answer.link : null;
  // Only a same-origin path: `//host` or `https://` would leave the page (and pushState refuses).
  if (typeof link === 'string' && link.startsWith('/') && !link.startsWith('//')) {
    history.pushState({ outcome }, '', link);
  }
}

function setFieldError(input, message) {
  const error = $(`${input.id}-error`);
  if (message) {
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    error.textContent = '';
    error.hidden = true;
    input.removeAttribute('aria-invalid');
  }
}

/** The four fields as `(01)GTIN(17)YYMMDD(10)LOT(21)SERIAL`, or null after marking what is wrong. */
function composeFromFields() {
  const gtinInput = $('gtin');
  const serialInput = $('serial');
  const lotInput = $('lot');
  const expiryInput = $('expiry');
  const problems = [];

  const digits = gtinInput.value.replace(/[\s-]/g, '');
  let gtin = null;
  if (digits === '') problems.push([gtinInput, 'Enter the product code printed on the pack.']);
  else if (!/^\d+$/.test(digits)) problems.push([gtinInput, 'The product code has only digits.']);
  else if (![8, 12, 13, 14].includes(digits.length)) problems.push([gtinInput, `The product code has 8, 12, 13 or 14 digits (this one has ${digits.length}).`]);
  else gtin = digits.padStart(14, '0');

  const serial = serialInput.value.trim();
  if (serial === '') problems.push([serialInput, 'Enter the serial number printed on the pack.']);
  const lot = lotInput.value.trim();
  if (lot === '') problems.push([lotInput, 'Enter the batch printed on the pack.']);
  const expiry = expiryToYymmdd(expiryInput.value);
  if (expiry.error) problems.push([expiryInput, expiry.error]);

  for (const input of [gtinInput, serialInput, lotInput, expiryInput]) {
    setFieldError(input, problems.find(([bad]) => bad === input)?.[1]);
  }
  if (problems.length) {
    problems[0][0].focus();
    return null;
  }
  // The bracketed form cannot carry a value with brackets in it; a Digital Link path can.
  if (/[()]/.test(serial + lot)) {
    return `/01/${gtin}/10/${encodeURIComponent(lot)}/21/${encodeURIComponent(serial)}?17=${expiry.yymmdd}`;
  }
  return `(01)${gtin}(17)${expiry.yymmdd}(10)${lot}(21)${serial}`;
}

function setUpForms() {
  $('check-forms').hidden = false;

  $('fields-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const code = composeFromFields();
    if (code) checkFromForm(code);
  });

  $('code-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('code');
    const code = cleanCode(input.value);
    if (code === '') {
      setFieldError(input, 'Paste or type the code first.');
      input.focus();
      return;
    }
    setFieldError(input, null);
    checkFromForm(code);
  });

  if ('BarcodeDetector' in window) setUpScanner();
}

// ---------------------------------------------------------------------------------------------
// The camera (only where the browser can read barcodes itself: no library is loaded).

function setUpScanner() {
  const area = $('scan-area');
  const view = $('scan-view');
  const video = $('scan-video');
  const message = $('scan-message');
  let stream = null;
  let timer = null;

  const stop = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    view.hidden = true;
    $('scan-start').hidden = false;
  };
  const say = (text) => {
    message.textContent = text;
    message.hidden = !text;
  };

  area.hidden = false;
  $('scan-stop').addEventListener('click', () => {
    stop();
    $('scan-start').focus();
  });
  $('scan-start').addEventListener('click', async () => {
    say('');
    let detector;
    try {
      const supported = await window.BarcodeDetector.getSupportedFormats();
      const formats = ['data_matrix', 'qr_code'].filter((format) => supported.includes(format));
      if (formats.length === 0) throw new Error('no supported format');
      detector = new window.BarcodeDetector({ formats });
    } catch {
      say('This browser cannot read these codes: type the four values instead.');
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (error) {
      say(error?.name === 'NotAllowedError'
        ? 'The camera was not allowed. You can type the four values instead.'
        : 'The camera could not be started. You can type the four values instead.');
      return;
    }
    video.srcObject = stream;
    view.hidden = false;
    $('scan-start').hidden = true;
    try {
      await video.play();
    } catch {
      // Autoplay of a muted, inline video is allowed; if not, the frames still arrive.
    }
    const scan = async () => {
      if (!stream) return;
      let codes = [];
      try {
        codes = video.readyState >= 2 ? await detector.detect(video) : [];
      } catch {
        codes = [];
      }
      const found = codes.find((code) => typeof code.rawValue === 'string' && cleanCode(code.rawValue) !== '');
      if (found) {
        stop();
        const code = cleanCode(found.rawValue);
        // The separators a DataMatrix carries are invisible: show the field empty rather than garbled.
        $('code').value = /[\u0000-\u001f]/.test(code) ? '' : code;
        checkFromForm(code);
        return;
      }
      timer = setTimeout(scan, 200);
    };
    scan();
  });
  // Leaving the page must not leave the camera on.
  window.addEventListener('pagehide', stop);
}

// ---------------------------------------------------------------------------------------------

function route() {
  if (isDigitalLinkPath(location.pathname)) {
    $('check-forms').hidden = true;
    checkDigitalLink();
  } else {
    setUpForms();
  }
}

// Back and forward between /check and the answers it pushed: show what was shown, without asking
// the server again; a path that was not pushed by this page is checked as if freshly opened.
window.addEventListener('popstate', (event) => {
  const outcome = event.state?.outcome;
  if (outcome) {
    render(outcome);
  } else if (isDigitalLinkPath(location.pathname)) {
    checkDigitalLink();
  } else {
    $('outcome').replaceChildren();
    document.title = 'Check a medicine pack';
  }
});

route();
