#!/usr/bin/env node
// Drives the planner page of a running `casualty serve` in headless Chromium the way a planner
// would, through the npm package playwright-core (pinned in package.json). It checks each view
// with axe-core (also pinned) and prints what it saw, so a Rust test can assert on it.
//
// Usage: node validators/planner-page.js BASE_URL KEY LARGE_JOB_ID SCREENSHOT_DIR DOWNLOAD_DIR
//
// BASE_URL is the server's origin, KEY an API key without limits, LARGE_JOB_ID a completed job
// of 10,000 patients for the replay's frame-rate measurement. Screenshots (PNG) are written to
// SCREENSHOT_DIR and the downloaded archive to DOWNLOAD_DIR. The browser is the executable named by
// CASUALTY_CHROMIUM (default /usr/bin/chromium). Printed on standard output, as one JSON
// object: the facts named in `result` below. A step that does not happen within its time limit
// stops the script with exit status 1 and names the step on standard error.
//
// Exit status: 0 when every step ran, 1 when a step failed, 2 for a usage error, 3 when
// playwright-core, axe-core or the browser is missing.

'use strict';

const fs = require('fs');
const path = require('path');

const DESKTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };
const PRESET = 'training-exercise';
const JOB_PATIENTS = 500;
const STEP_TIMEOUT_MS = 60_000;
const FRAME_SAMPLE_MS = 5_000;

function load(name) {
  try {
    return require(name);
  } catch (error) {
    console.error(`the npm package ${name} is not installed (${error.code || error.message}); install it with: npm ci --prefix validators`);
    process.exit(3);
  }
}

/** The page under test and the folder of screenshots, for the failure report of a step. */
const current = { page: null, outputDir: null, errors: [] };

/** Runs one step; a failure names the step and the page's status line, and takes a screenshot. */
async function step(name, action) {
  try {
    return await action();
  } catch (error) {
    let status = '';
    if (current.page) {
      status = await current.page.textContent('#status-message').catch(() => '');
      await current.page.screenshot({ path: path.join(current.outputDir, 'failure.png'), fullPage: true }).catch(() => {});
    }
    throw new Error(`step "${name}" failed: ${error.message}\npage status: ${status}\nconsole errors: ${current.errors.join(' | ')}\nscreenshot: failure.png`);
  }
}

/** Runs axe-core on the page and returns its serious and critical violations. */
async function accessibility(page, axeSource) {
  // page.evaluate runs outside the page's content security policy, which forbids inline scripts.
  const present = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!present) {
    await page.evaluate(axeSource);
  }
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { iframes: false, resultTypes: ['violations'] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

async function countsTable(page) {
  return page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#replay-counts tr')].map((row) => [row.querySelector('th').textContent, Number(row.querySelector('td').textContent.replace(/,/g, ''))])));
}

async function main() {
  const [baseUrl, key, largeJob, outputDir, downloadDir] = process.argv.slice(2);
  if (!baseUrl || !key || !largeJob || !outputDir || !downloadDir) {
    console.error('usage: node validators/planner-page.js BASE_URL KEY LARGE_JOB_ID SCREENSHOT_DIR DOWNLOAD_DIR');
    process.exit(2);
  }
  const executablePath = process.env.CASUALTY_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    console.error(`${executablePath}: Chromium not found; install it (Debian: apt-get install -y chromium) or set CASUALTY_CHROMIUM to its path`);
    process.exit(3);
  }
  const { chromium } = load('playwright-core');
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js', { paths: [__dirname] }), 'utf8');
  fs.mkdirSync(outputDir, { recursive: true });
  const shot = (name) => path.join(outputDir, name);

  const result = { consoleErrors: [], requestUrls: [], accessibility: {}, screenshots: [] };
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    current.page = page;
    current.outputDir = outputDir;
    current.errors = result.consoleErrors;
    page.on('console', (message) => message.type() === 'error' && result.consoleErrors.push(message.text()));
    page.on('pageerror', (error) => result.consoleErrors.push(String(error)));
    page.on('request', (request) => result.requestUrls.push(request.url()));
    const capture = async (name, options = {}) => {
      await page.screenshot({ path: shot(name), ...options });
      result.screenshots.push(name);
    };

    await step('open the page', async () => {
      await page.goto(baseUrl);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector('#key-dialog[open]');
      await capture('planner-key.png');
    });

    await step('enter the key by keyboard', async () => {
      // The dialog focuses its input, so the key is typed and Enter submits.
      await page.keyboard.type(key);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#key-dialog', { state: 'hidden' });
      result.keyState = await page.textContent('#key-state');
    });

    await step('pick a preset', async () => {
      await page.waitForSelector(`#preset option[value="${PRESET}"]`, { state: 'attached' });
      await page.selectOption('#preset', PRESET);
      await page.click('#preset-load');
      await page.waitForFunction(() => JSON.parse(document.querySelector('#scenario-json').value).name !== undefined);
      result.presetScenario = JSON.parse(await page.inputValue('#scenario-json'));
    });

    await step('break the injury distribution', async () => {
      const disease = page.getByLabel('Disease (%)', { exact: true });
      result.originalDisease = await disease.inputValue();
      await disease.fill(String(Number(result.originalDisease) + 7));
      await page.waitForSelector('[data-sum-for="injury_distribution"].sum-error');
      result.liveSumText = await page.textContent('[data-sum-for="injury_distribution"]');
      result.jsonDistribution = JSON.parse(await page.inputValue('#scenario-json')).injury_distribution;
      await page.click('#validate');
      const error = await page.waitForSelector('fieldset[data-path="injury_distribution"] .field-error');
      result.distributionError = await error.textContent();
      result.errorSummaryVisible = await page.isVisible('#error-summary');
      await capture('planner-scenario-error.png', { fullPage: true });
    });

    await step('fix the distribution and set the count', async () => {
      await page.getByLabel('Disease (%)', { exact: true }).fill(result.originalDisease);
      await page.waitForSelector('[data-sum-for="injury_distribution"]:not(.sum-error)');
      await page.getByLabel('Casualties', { exact: true }).fill(String(JOB_PATIENTS));
      result.jsonCount = JSON.parse(await page.inputValue('#scenario-json')).count;
    });

    await step('refuse to check while the JSON is invalid', async () => {
      const text = await page.inputValue('#scenario-json');
      await page.fill('#scenario-json', text + ',');
      await page.click('#validate');
      result.invalidJsonHeading = await page.textContent('#error-summary-heading');
      await page.fill('#scenario-json', text);
    });

    await step('edit the JSON', async () => {
      const edited = JSON.parse(await page.inputValue('#scenario-json'));
      edited.seed = 4242;
      await page.fill('#scenario-json', JSON.stringify(edited, null, 2));
      result.formSeed = await page.getByLabel('Seed', { exact: true }).inputValue();
    });

    await step('check the scenario', async () => {
      await page.click('#validate');
      await page.waitForFunction(() => document.querySelector('#status-message').textContent === 'The scenario is valid.');
      result.validMessage = await page.textContent('#status-message');
      result.fieldErrorsAfterFix = await page.locator('#scenario-form .field-error').count();
      result.accessibility.scenario = await accessibility(page, axeSource);
      await capture('planner-scenario.png');
    });

    await step('save, version and load the configuration', async () => {
      await page.fill('#save-name', 'Exercise north');
      await page.click('#save-new');
      await page.waitForFunction(() => document.querySelector('#status-message').textContent.includes('as version 1'));
      await page.getByLabel('Casualties', { exact: true }).fill('650');
      await page.click('#save-version');
      await page.waitForFunction(() => document.querySelector('#status-message').textContent.includes('as version 2'));
      result.savedVersions = await page.$$eval('#saved-version option', (options) => options.map((option) => option.textContent));
      await page.selectOption('#saved-version', '1');
      await page.click('#saved-load');
      await page.waitForFunction(() => document.querySelector('#status-message').textContent.includes('version 1'));
      result.version1Count = JSON.parse(await page.inputValue('#scenario-json')).count;
      await page.selectOption('#saved-version', '2');
      await page.click('#saved-load');
      await page.waitForFunction(() => document.querySelector('#status-message').textContent.includes('version 2'));
      result.version2Count = JSON.parse(await page.inputValue('#scenario-json')).count;
      await page.getByLabel('Casualties', { exact: true }).fill(String(JOB_PATIENTS));
    });

    await step('run a job and follow its progress', async () => {
      await page.check('input[name="format"][value="ndjson"]');
      const progressSeen = [];
      await page.exposeFunction('recordProgress', (value) => progressSeen.push(value));
      await page.evaluate(() => {
        const text = document.querySelector('#job-progress-text');
        new MutationObserver(() => window.recordProgress(text.textContent)).observe(text, { childList: true, characterData: true, subtree: true });
      });
      await page.click('#run');
      await page.waitForSelector('#job-panel:not([hidden])');
      await page.waitForFunction(() => document.querySelector('#job-status').textContent === 'completed', null, { timeout: 120_000 });
      result.jobId = await page.textContent('#job-id');
      result.progressSeen = progressSeen;
      result.finalProgress = await page.textContent('#job-progress-text');
      result.jobDone = await page.textContent('#job-done');
      result.jobUrl = page.url();
      await page.waitForSelector(`#jobs-body tr[data-job="${result.jobId}"]`);
      result.accessibility.jobs = await accessibility(page, axeSource);
      await capture('planner-job.png');
    });

    await step('download the outputs', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-job')]);
      fs.mkdirSync(downloadDir, { recursive: true });
      const saved = path.join(downloadDir, download.suggestedFilename());
      await download.saveAs(saved);
      result.download = { name: download.suggestedFilename(), path: saved, bytes: fs.statSync(saved).size };
    });

    await step('open a patient', async () => {
      await page.click(`#jobs-body tr[data-job="${result.jobId}"] button:has-text("Patient")`);
      await page.fill('#patient-id', '3');
      await page.click('#patient-form button[type="submit"]');
      await page.waitForFunction(() => document.querySelector('#patient-record').textContent.length > 0);
      result.patient = JSON.parse(await page.textContent('#patient-record'));
    });

    await step('show the report', async () => {
      await page.click(`#jobs-body tr[data-job="${result.jobId}"] button:has-text("Report")`);
      await page.waitForSelector('#report-panel:not([hidden])');
      const frame = page.frameLocator('#report-frame');
      await frame.locator('svg').first().waitFor();
      result.reportCharts = await frame.locator('svg').count();
      result.reportText = (await frame.locator('body').innerText()).slice(0, 2000);
      await page.locator('#report-panel').scrollIntoViewIfNeeded();
      await frame.locator('body').evaluate((body) => body.scrollIntoView());
      await page.waitForTimeout(500);
      await capture('planner-report.png');
    });

    await step('replay the job', async () => {
      // By keyboard: the report's frame below the table is tall, and a mouse click right after
      // scrolling to the row can land on the frame instead.
      await page.focus(`#jobs-body tr[data-job="${result.jobId}"] button:has-text("Replay")`);
      await page.keyboard.press('Enter');
      await page.waitForFunction((count) => new RegExp(`^job \\S+: ${count} patients$`).test(document.querySelector('#replay-source').textContent), String(JOB_PATIENTS));
      await page.selectOption('#replay-speed', '10');
      await page.click('#replay-play');
      await page.waitForTimeout(1500);
      result.replayTimeWhilePlaying = Number(await page.inputValue('#replay-time'));
      result.countsWhilePlaying = await countsTable(page);
      await page.click('#replay-play');
      // Play until a casualty reaches Role 4, moving the slider forward a step at a time.
      const max = Number(await page.getAttribute('#replay-time', 'max'));
      result.replayMaxMinutes = max;
      for (let minute = result.replayTimeWhilePlaying; minute <= max; minute += Math.max(60, Math.round(max / 200))) {
        await page.$eval('#replay-time', (slider, value) => {
          slider.value = String(value);
          slider.dispatchEvent(new Event('input'));
        }, minute);
        const counts = await countsTable(page);
        if (counts['Role 4'] > 0) {
          result.firstRole4Minute = minute;
          result.countsAtFirstRole4 = counts;
          break;
        }
      }
      await capture('planner-replay.png');
      await page.$eval('#replay-time', (slider) => {
        slider.value = slider.max;
        slider.dispatchEvent(new Event('input'));
      });
      result.countsAtEnd = await countsTable(page);
      result.accessibility.replay = await accessibility(page, axeSource);
    });

    await step('click a casualty', async () => {
      const point = await page.evaluate(() => {
        const canvas = document.querySelector('#replay-canvas');
        const context = canvas.getContext('2d');
        const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
        const colours = [[0xc6, 0x28, 0x28], [0xe0, 0xa1, 0x00], [0x2e, 0x7d, 0x32], [0x15, 0x65, 0xc0]];
        for (let y = 40; y < height; y += 1) {
          for (let x = 0; x < width; x += 1) {
            const i = (y * width + x) * 4;
            if (colours.some(([r, g, b]) => data[i] === r && data[i + 1] === g && data[i + 2] === b)) {
              const bounds = canvas.getBoundingClientRect();
              const ratio = bounds.width / canvas.width;
              return { x: bounds.left + (x + 1) * ratio, y: bounds.top + (y + 1) * ratio };
            }
          }
        }
        return null;
      });
      if (!point) {
        throw new Error('no dot was drawn on the canvas');
      }
      await page.mouse.click(point.x, point.y);
      await page.waitForSelector('#replay-selected:not([hidden])');
      result.selectedTitle = await page.textContent('#replay-selected-title');
      result.selectedTimelineRows = await page.locator('#replay-selected-timeline tr').count();
      await capture('planner-replay-selected.png', { fullPage: true });
    });

    await step('filter the replay', async () => {
      await page.uncheck('input[name="replay-triage"][value="T3"]');
      result.countsWithoutT3 = await countsTable(page);
      await page.check('input[name="replay-triage"][value="T3"]');
    });

    await step('replay a local file', async () => {
      // Node's fetch, not the page: the test builds the files a planner would have on disk.
      const response = await fetch(`${baseUrl}/api/v1/jobs/${result.jobId}/results?per_page=200`, { headers: { 'X-API-Key': key } });
      const patients = (await response.json()).patients;
      const ndjson = Buffer.from(patients.map((patient) => JSON.stringify(patient)).join('\n') + '\n');
      await page.setInputFiles('#replay-file', { name: 'local.ndjson', mimeType: 'application/x-ndjson', buffer: ndjson });
      await page.waitForFunction(() => document.querySelector('#replay-source').textContent === 'local.ndjson: 200 patients');
      const json = Buffer.from(JSON.stringify({ metadata: {}, patients: patients.slice(0, 120) }));
      await page.setInputFiles('#replay-file', { name: 'local.json', mimeType: 'application/json', buffer: json });
      await page.waitForFunction(() => document.querySelector('#replay-source').textContent === 'local.json: 120 patients');
      await page.$eval('#replay-time', (slider) => {
        slider.value = slider.max;
        slider.dispatchEvent(new Event('input'));
      });
      result.localFileCounts = await countsTable(page);
      await page.setInputFiles('#replay-file', { name: 'broken.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"id": 1}\nnot json\n') });
      await page.waitForFunction(() => document.querySelector('#status-message').textContent.startsWith('broken.ndjson could not be read'));
      result.brokenFileMessage = await page.textContent('#status-message');
      await page.setInputFiles('#replay-file', { name: 'other.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from('{"id": 1}\n') });
      await page.waitForFunction(() => document.querySelector('#status-message').textContent.startsWith('other.ndjson could not be read'));
      result.otherFileMessage = await page.textContent('#status-message');
    });

    await step('replay 10,000 casualties', async () => {
      await page.click('[data-show="jobs"]');
      await page.waitForSelector(`#jobs-body tr[data-job="${largeJob}"]`);
      await page.click(`#jobs-body tr[data-job="${largeJob}"] button:has-text("Replay")`);
      await page.waitForFunction(() => /^job \S+: 10,000 patients$/.test(document.querySelector('#replay-source').textContent), null, { timeout: 120_000 });
      // From the middle of the run, where most casualties are injured and so drawn.
      await page.selectOption('#replay-speed', '1');
      await page.$eval('#replay-time', (slider) => {
        slider.value = String(Math.round(Number(slider.max) / 2));
        slider.dispatchEvent(new Event('input'));
      });
      await page.click('#replay-play');
      // Frame intervals from requestAnimationFrame, and the replay's own drawing time per frame.
      const sample = await page.evaluate((duration) => new Promise((resolve) => {
        const times = [];
        const drawing = [];
        const canvas = document.querySelector('#replay-canvas');
        const tick = (now) => {
          times.push(now);
          drawing.push(Number(canvas.dataset.drawMs));
          if (now - times[0] < duration) {
            requestAnimationFrame(tick);
          } else {
            resolve({ intervals: times.slice(1).map((time, index) => time - times[index]), drawing: drawing.slice(1) });
          }
        };
        requestAnimationFrame(tick);
      }), FRAME_SAMPLE_MS);
      await page.click('#replay-play');
      const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const medianFrameMs = median(sample.intervals);
      result.largeReplay = {
        frames: sample.intervals.length,
        medianFrameMs,
        medianFps: 1000 / medianFrameMs,
        medianDrawMs: median(sample.drawing),
        dotsDrawn: await page.evaluate(() => [...document.querySelectorAll('#replay-counts tr')].filter((row) => !/^(Remains at Role 4)$/.test(row.querySelector('th').textContent)).reduce((sum, row) => sum + Number(row.querySelector('td').textContent.replace(/,/g, '')), 0)),
        maxDrawMs: Math.max(...sample.drawing),
        countsAfterPlaying: await countsTable(page),
      };
      await capture('planner-replay-10000.png');
    });

    await step('cancel a running job', async () => {
      await page.click('[data-show="scenario"]');
      await page.getByLabel('Casualties', { exact: true }).fill('3000000');
      await page.uncheck('input[name="format"][value="ndjson"]');
      await page.uncheck('input[name="format"][value="json"]');
      await page.check('input[name="format"][value="fhir"]');
      await page.click('#run');
      await page.waitForFunction(() => document.querySelector('#job-status').textContent === 'running' && document.querySelector('#job-rate').textContent.includes('patients/s'), null, { timeout: 120_000 });
      result.running = {
        phase: await page.textContent('#job-phase'),
        done: await page.textContent('#job-done'),
        rate: await page.textContent('#job-rate'),
        eta: await page.textContent('#job-eta'),
        progress: await page.textContent('#job-progress-text'),
      };
      await page.click('#cancel-job');
      await page.waitForFunction(() => document.querySelector('#job-status').textContent === 'cancelled', null, { timeout: 60_000 });
      result.cancelledStatus = await page.textContent('#job-status');
    });

    await step('inspect where the key is kept', async () => {
      result.html = await page.content();
      result.localStorageKeys = await page.evaluate(() => Object.keys(localStorage));
      result.sessionStorageHasKey = await page.evaluate((secret) => Object.values(sessionStorage).includes(secret), key);
    });

    await step('show the page on a tablet', async () => {
      await page.setViewportSize(TABLET);
      await page.click('[data-show="scenario"]');
      await page.waitForTimeout(300);
      result.tabletOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      result.accessibility.tablet = await accessibility(page, axeSource);
      await capture('planner-tablet.png');
    });
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
