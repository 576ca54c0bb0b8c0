#!/usr/bin/env node
// Renders an HTML report of `casualty report` in headless Chromium (driven by the npm package
// playwright-core, pinned in package.json) and prints what the browser drew, so the tests can
// check the charts independently of the Rust code that wrote them.
//
// Usage: node validators/render-report.js REPORT.html SCREENSHOT.png
//
// The browser is the executable named by CASUALTY_CHROMIUM (default /usr/bin/chromium, the
// Debian package chromium). The page is opened over file:// in a 1280 × 800 viewport. Printed on
// standard output, as one JSON object:
//   charts          every element with a data-chart attribute: its id, the rendered width and
//                   height of its <svg> in CSS pixels, and the number of marks (rect, path and
//                   circle elements) inside the <svg>
//   consoleErrors   console messages of level error, and uncaught page errors
//   otherRequests   every request the page made other than the report file itself
//   reportData      the parsed JSON of <script id="report-data">, or null
//   pageWidth       the document's scroll width, to catch content wider than the viewport
// A full-page PNG screenshot is written to SCREENSHOT.png.
//
// Exit status: 0 when the page loaded with no console errors and no other requests, 1 when it
// loaded with either, 2 for a usage error, 3 when playwright-core or the browser is missing.

'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const VIEWPORT = { width: 1280, height: 800 };

function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch (error) {
    console.error(`the npm package playwright-core is not installed (${error.code || error.message}); install it with: npm ci --prefix validators`);
    process.exit(3);
  }
}

async function main() {
  const [reportPath, screenshotPath] = process.argv.slice(2);
  if (!reportPath || !screenshotPath) {
    console.error('usage: node validators/render-report.js REPORT.html SCREENSHOT.png');
    process.exit(2);
  }
  if (!fs.existsSync(reportPath)) {
    console.error(`${reportPath}: file not found`);
    process.exit(2);
  }
  const executablePath = process.env.CASUALTY_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    console.error(`${executablePath}: Chromium not found; install it (Debian: apt-get install -y chromium) or set CASUALTY_CHROMIUM to its path`);
    process.exit(3);
  }

  const { chromium } = loadPlaywright();
  const browser = await chromium.launch({ executablePath, headless: true });
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    const reportUrl = pathToFileURL(path.resolve(reportPath)).href;
    const consoleErrors = [];
    const otherRequests = [];
    page.on('console', (message) => {
      if (message.type() === 'error') {
        consoleErrors.push(message.text());
      }
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    page.on('request', (request) => {
      if (request.url() !== reportUrl) {
        otherRequests.push(request.url());
      }
    });

    await page.goto(reportUrl, { waitUntil: 'load' });
    const drawn = await page.evaluate(() => {
      const charts = Array.from(document.querySelectorAll('[data-chart]')).map((element) => {
        const svg = element.querySelector('svg');
        const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
        return {
          id: element.id,
          chart: element.getAttribute('data-chart'),
          width: box.width,
          height: box.height,
          marks: svg ? svg.querySelectorAll('rect, path, circle').length : 0,
        };
      });
      const script = document.getElementById('report-data');
      let reportData = null;
      if (script) {
        reportData = JSON.parse(script.textContent);
      }
      return { charts, reportData, pageWidth: document.documentElement.scrollWidth };
    });
    await page.screenshot({ path: screenshotPath, fullPage: true });

    const result = { ...drawn, consoleErrors, otherRequests };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exitCode = consoleErrors.length === 0 && otherRequests.length === 0 ? 0 : 1;
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(`rendering failed: ${error.stack || error}`);
  process.exit(1);
});
