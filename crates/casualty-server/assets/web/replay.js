// Timeline replay: casualties as dots moving along the evacuation chain over scenario time.
//
// Records are flattened once into typed arrays (one entry per timeline event), so each frame is
// a loop over plain numbers. For each casualty it finds the last event before the current time
// and places the dot in its facility's column, or between two columns while in transit. The dots
// are drawn in four batches, one per triage colour. The canvas shows the dots; the counts table beside it
// gives the same picture as text.
import { requestJson } from './api.js';
import { announce, byId, el, formatNumber } from './dom.js';
/** Columns of the canvas: the five facilities, then returned to duty and died. */
const COLUMNS = ['POI', 'Role 1', 'Role 2', 'Role 3', 'Role 4', 'Returned to duty', 'Died'];
const FACILITIES = ['POI', 'Role1', 'Role2', 'Role3', 'Role4'];
const EVENT_KINDS = ['injury', 'evacuation_start', 'arrival', 'transit_start', 'kia', 'dow', 'dnbi_death', 'rtd', 'remains_role4'];
const TRIAGE = ['T1', 'T2', 'T3', 'T4'];
const TRIAGE_COLOURS = ['#c62828', '#e0a100', '#2e7d32', '#1565c0'];
const CATEGORIES = ['Disease', 'Non-Battle Injury', 'Battle Injury'];
/** Speeds offered, in scenario hours per second of replay at 1x. */
export const SPEEDS = [0.25, 0.5, 1, 2, 5, 10];
/**
 * Maximum casualties that a replay loads. Records are kept whole for the click-through, about
 * 2.4 KB each as JSON and more as objects, so this bounds the tab's memory.
 */
export const MAX_REPLAY_PATIENTS = 100_000;
/** Scenario minutes that pass per real second at speed 1. */
const MINUTES_PER_SECOND = 60;
const KIND_TRANSIT = new Set([1, 3]);
const KIND_DEATH = new Set([4, 5, 6]);
const KIND_RTD = 7;
const KIND_REMAINS = 8;
/** Counts shown in the table, in this order. */
const COUNT_NAMES = ['POI', 'Role 1', 'Role 2', 'Role 3', 'Role 4', 'In transit', 'KIA', 'DOW', 'DNBI death', 'RTD', 'Remains at Role 4'];
/** The replay view: canvas, controls, counts and the selected casualty. */
export class Replay {
    data = null;
    time = 0;
    playing = false;
    speed = 1;
    lastFrame = null;
    visible = new Uint8Array(0);
    x = new Float32Array(0);
    y = new Float32Array(0);
    countsShownAt = 0;
    canvas;
    context;
    slider;
    constructor() {
        this.canvas = byId('replay-canvas');
        const context = this.canvas.getContext('2d', { alpha: false });
        if (!context) {
            throw new Error('this browser cannot draw on a canvas');
        }
        this.context = context;
        this.slider = byId('replay-time');
        byId('replay-play').addEventListener('click', () => this.toggle());
        byId('replay-speed').addEventListener('change', (event) => {
            this.speed = Number(event.target.value);
        });
        this.slider.addEventListener('input', () => {
            this.time = Number(this.slider.value);
            this.draw(true);
        });
        for (const id of ['replay-nation', 'replay-category']) {
            byId(id).addEventListener('change', () => this.applyFilters());
        }
        document.querySelectorAll('input[name="replay-triage"]').forEach((input) => input.addEventListener('change', () => this.applyFilters()));
        this.canvas.addEventListener('click', (event) => this.pick(event));
        byId('replay-file').addEventListener('change', (event) => void this.loadFile(event.target));
        byId('replay-show-casualty').addEventListener('click', () => {
            const sequence = Number(byId('replay-casualty').value);
            const index = this.data?.records.findIndex((record) => record.sequence === sequence) ?? -1;
            if (index < 0) {
                announce(`No casualty with sequence number ${sequence} in the replay.`, 'error');
            }
            else {
                this.select(index);
            }
        });
        new ResizeObserver(() => this.resize()).observe(this.canvas);
        this.resize();
        requestAnimationFrame((now) => this.frame(now));
    }
    /** Loads every patient of a completed job, a page at a time. */
    async loadJob(jobId) {
        const records = [];
        const perPage = 1000;
        announce(`Loading the patients of job ${jobId}…`);
        for (let page = 1;; page += 1) {
            const body = await requestJson('GET', `/api/v1/jobs/${jobId}/results?page=${page}&per_page=${perPage}`);
            if (body.total > MAX_REPLAY_PATIENTS) {
                announce(`Job ${jobId} has ${formatNumber(body.total)} patients; the replay loads at most ${formatNumber(MAX_REPLAY_PATIENTS)}. Replay a smaller job, or a part of this one saved as a file.`, 'error');
                return;
            }
            records.push(...body.patients);
            byId('replay-source').textContent = `Job ${jobId}: ${formatNumber(records.length)} of ${formatNumber(body.total)} patients loaded`;
            if (records.length >= body.total || body.patients.length === 0) {
                break;
            }
        }
        this.load(records, `job ${jobId}`);
    }
    async loadFile(input) {
        const file = input.files?.[0];
        if (!file) {
            return;
        }
        try {
            const text = await file.text();
            this.load(parseRecords(text), file.name);
        }
        catch (error) {
            announce(`${file.name} could not be read: ${error.message}`, 'error');
        }
    }
    /** Replaces the records and rewinds to the first injury. */
    load(records, source) {
        if (records.length === 0) {
            announce(`${source} contains no patients.`, 'error');
            return;
        }
        if (records.length > MAX_REPLAY_PATIENTS) {
            announce(`${source} has ${formatNumber(records.length)} patients; the replay loads at most ${formatNumber(MAX_REPLAY_PATIENTS)}.`, 'error');
            return;
        }
        this.data = prepare(records);
        const nationSelect = byId('replay-nation');
        nationSelect.replaceChildren(el('option', { value: '' }, 'All nations'), ...this.data.nations.map((code, index) => el('option', { value: String(index) }, code)));
        this.slider.max = String(Math.ceil(this.data.span));
        this.slider.disabled = false;
        byId('replay-play').disabled = false;
        this.x = new Float32Array(records.length);
        this.y = new Float32Array(records.length);
        this.time = 0;
        this.applyFilters();
        byId('replay-source').textContent = `${source}: ${formatNumber(records.length)} patients`;
        announce(`Replay of ${source} ready: ${formatNumber(records.length)} patients.`);
    }
    toggle() {
        if (!this.data) {
            return;
        }
        this.playing = !this.playing;
        if (this.playing && this.time >= this.data.span) {
            this.time = 0;
        }
        this.lastFrame = null;
        const button = byId('replay-play');
        button.textContent = this.playing ? 'Pause' : 'Play';
        button.setAttribute('aria-pressed', String(this.playing));
    }
    applyFilters() {
        const data = this.data;
        if (!data) {
            return;
        }
        const triage = new Set([...document.querySelectorAll('input[name="replay-triage"]:checked')].map((input) => TRIAGE.indexOf(input.value)));
        const nation = byId('replay-nation').value;
        const category = byId('replay-category').value;
        const nationIndex = nation === '' ? -1 : Number(nation);
        const categoryIndex = category === '' ? -1 : CATEGORIES.indexOf(category);
        this.visible = new Uint8Array(data.records.length);
        for (let i = 0; i < data.records.length; i += 1) {
            const shown = triage.has(data.triage[i]) && (nationIndex < 0 || data.nation[i] === nationIndex) && (categoryIndex < 0 || data.category[i] === categoryIndex);
            this.visible[i] = shown ? 1 : 0;
        }
        this.draw(true);
    }
    resize() {
        const ratio = window.devicePixelRatio || 1;
        const width = Math.max(320, Math.round(this.canvas.clientWidth * ratio));
        const height = Math.max(200, Math.round(this.canvas.clientHeight * ratio));
        if (this.canvas.width !== width || this.canvas.height !== height) {
            this.canvas.width = width;
            this.canvas.height = height;
            this.draw(true);
        }
    }
    frame(now) {
        if (this.playing && this.data) {
            if (this.lastFrame !== null) {
                const seconds = Math.min(0.25, (now - this.lastFrame) / 1000);
                this.time = Math.min(this.data.span, this.time + seconds * this.speed * MINUTES_PER_SECOND);
                if (this.time >= this.data.span) {
                    this.toggle();
                }
            }
            this.lastFrame = now;
            this.slider.value = String(Math.round(this.time));
            this.draw(now - this.countsShownAt > 250);
            if (now - this.countsShownAt > 250) {
                this.countsShownAt = now;
            }
        }
        requestAnimationFrame((next) => this.frame(next));
    }
    /** Draws the dots at the current time; with `showCounts`, also refreshes the counts table. */
    draw(showCounts) {
        const started = performance.now();
        this.paint(showCounts);
        // The browser test reads the time of the last frame's drawing for docs/benchmarks.md.
        this.canvas.dataset.drawMs = (performance.now() - started).toFixed(2);
    }
    paint(showCounts) {
        const context = this.context;
        const width = this.canvas.width;
        const height = this.canvas.height;
        const ratio = window.devicePixelRatio || 1;
        const columnWidth = width / COLUMNS.length;
        const top = 28 * ratio;
        const areaHeight = height - top - 8 * ratio;
        context.fillStyle = '#ffffff';
        context.fillRect(0, 0, width, height);
        context.font = `${13 * ratio}px system-ui, sans-serif`;
        context.textAlign = 'center';
        for (let column = 0; column < COLUMNS.length; column += 1) {
            context.fillStyle = column % 2 === 0 ? '#f3f5f8' : '#e9edf2';
            context.fillRect(column * columnWidth, top, columnWidth, areaHeight);
            context.fillStyle = '#1f2933';
            context.fillText(COLUMNS[column], (column + 0.5) * columnWidth, 18 * ratio);
        }
        const data = this.data;
        const label = byId('replay-clock');
        if (!data) {
            label.textContent = 'No replay loaded.';
            return;
        }
        const counts = new Array(COUNT_NAMES.length).fill(0);
        const time = this.time;
        const dot = Math.max(3, Math.round(3.5 * ratio));
        const margin = columnWidth * 0.08;
        const inner = columnWidth - 2 * margin - dot;
        const colours = new Uint8Array(data.records.length).fill(255);
        for (let i = 0; i < data.records.length; i += 1) {
            if (!this.visible[i]) {
                continue;
            }
            const first = data.start[i];
            const last = first + data.count[i] - 1;
            if (data.minutes[first] > time) {
                continue;
            }
            let k = first;
            while (k < last && data.minutes[k + 1] <= time) {
                k += 1;
            }
            const kind = data.kind[k];
            const facility = data.facility[k];
            let column = facility;
            let position = -1;
            if (KIND_DEATH.has(kind)) {
                column = 6;
                counts[6 + kind - 4] += 1;
            }
            else if (kind === KIND_RTD) {
                column = 5;
                counts[9] += 1;
            }
            else if (kind === KIND_REMAINS) {
                counts[4] += 1;
                counts[10] += 1;
            }
            else if (KIND_TRANSIT.has(kind) && k < last && data.facility[k + 1] !== facility) {
                const span = data.minutes[k + 1] - data.minutes[k];
                const progress = span > 0 ? (time - data.minutes[k]) / span : 1;
                position = facility + progress * (data.facility[k + 1] - facility);
                counts[5] += 1;
            }
            else {
                counts[facility] += 1;
            }
            const jitter = margin + data.jitterX[i] * inner;
            this.x[i] = position >= 0 ? (position + 0.5) * columnWidth - dot / 2 : column * columnWidth + jitter;
            this.y[i] = top + 4 + data.jitterY[i] * (areaHeight - dot - 8);
            colours[i] = data.triage[i];
        }
        for (let colour = 0; colour < TRIAGE.length; colour += 1) {
            context.fillStyle = TRIAGE_COLOURS[colour];
            context.beginPath();
            for (let i = 0; i < colours.length; i += 1) {
                if (colours[i] === colour) {
                    context.rect(this.x[i], this.y[i], dot, dot);
                }
            }
            context.fill();
        }
        this.shown = colours;
        label.textContent = clock(data.origin + time * 60_000);
        if (showCounts) {
            byId('replay-time-text').textContent = `Day ${Math.floor(time / 1440) + 1}, ${clock(data.origin + time * 60_000)}`;
            this.slider.setAttribute('aria-valuetext', byId('replay-time-text').textContent ?? '');
            const cells = byId('replay-counts').querySelectorAll('td');
            counts.forEach((value, index) => {
                if (cells[index]) {
                    cells[index].textContent = formatNumber(value);
                }
            });
        }
    }
    /** Triage colour index of each dot drawn in the last frame, 255 for none. */
    shown = new Uint8Array(0);
    pick(event) {
        if (!this.data) {
            return;
        }
        const bounds = this.canvas.getBoundingClientRect();
        const ratio = this.canvas.width / bounds.width;
        const px = (event.clientX - bounds.left) * ratio;
        const py = (event.clientY - bounds.top) * ratio;
        let best = -1;
        let bestDistance = (8 * ratio) ** 2;
        for (let i = 0; i < this.shown.length; i += 1) {
            if (this.shown[i] === 255) {
                continue;
            }
            const distance = (this.x[i] - px) ** 2 + (this.y[i] - py) ** 2;
            if (distance < bestDistance) {
                best = i;
                bestDistance = distance;
            }
        }
        if (best >= 0) {
            this.select(best);
        }
    }
    select(index) {
        const record = this.data?.records[index];
        if (!record) {
            return;
        }
        const name = typeof record.name === 'string' ? record.name : [record.name?.given, record.name?.family].filter(Boolean).join(' ');
        byId('replay-selected-title').textContent = `Casualty ${record.sequence}: ${name || record.id}`;
        byId('replay-selected-summary').textContent = `${record.triage_category}, ${record.nationality}, ${record.injury_type}, outcome ${record.final_status}.`;
        byId('replay-selected-timeline').replaceChildren(...record.movement_timeline.map((step) => el('tr', {}, el('td', {}, step.event_type), el('td', {}, step.facility), el('td', {}, step.timestamp.replace('T', ' ').replace('Z', '')), el('td', { class: 'number' }, String(step.hours_since_injury)))));
        byId('replay-selected-record').textContent = JSON.stringify(record, null, 2);
        byId('replay-selected').hidden = false;
        announce(`Casualty ${record.sequence} selected.`);
    }
}
/** Reads NDJSON, a JSON array of records, or `{"patients": [...]}`. */
export function parseRecords(text) {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('[')) {
        return JSON.parse(trimmed);
    }
    if (trimmed.startsWith('{') && /^\{\s*"(metadata|patients)"/.test(trimmed)) {
        const document = JSON.parse(trimmed);
        if (!Array.isArray(document.patients)) {
            throw new Error('the JSON document has no "patients" list');
        }
        return document.patients;
    }
    return trimmed
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line, index) => {
        try {
            return JSON.parse(line);
        }
        catch (error) {
            throw new Error(`line ${index + 1} is not a JSON record: ${error.message}`);
        }
    });
}
function prepare(records) {
    records.forEach((record, index) => {
        if (typeof record !== 'object' || record === null || !Array.isArray(record.movement_timeline) || record.movement_timeline.length === 0) {
            throw new Error(`record ${index + 1} has no movement_timeline; expected casualty records as casualty generate writes them`);
        }
    });
    const total = records.reduce((sum, record) => sum + record.movement_timeline.length, 0);
    const start = new Int32Array(records.length);
    const count = new Uint8Array(records.length);
    const times = new Float64Array(total);
    const facility = new Uint8Array(total);
    const kind = new Uint8Array(total);
    const triage = new Uint8Array(records.length);
    const nation = new Uint16Array(records.length);
    const category = new Uint8Array(records.length);
    const jitterX = new Float32Array(records.length);
    const jitterY = new Float32Array(records.length);
    const nations = [...new Set(records.map((record) => record.nationality))].sort();
    let origin = Infinity;
    let end = -Infinity;
    let offset = 0;
    records.forEach((record, i) => {
        start[i] = offset;
        count[i] = Math.min(255, record.movement_timeline.length);
        for (const step of record.movement_timeline.slice(0, 255)) {
            const instant = Date.parse(step.timestamp);
            times[offset] = instant;
            facility[offset] = Math.max(0, FACILITIES.indexOf(step.facility));
            kind[offset] = Math.max(0, EVENT_KINDS.indexOf(step.event_type));
            origin = Math.min(origin, instant);
            end = Math.max(end, instant);
            offset += 1;
        }
        triage[i] = Math.max(0, TRIAGE.indexOf(record.triage_category));
        nation[i] = nations.indexOf(record.nationality);
        category[i] = Math.max(0, CATEGORIES.indexOf(record.injury_type));
        jitterX[i] = unitHash(i * 2 + 1);
        jitterY[i] = unitHash(i * 2 + 2);
    });
    for (let k = 0; k < total; k += 1) {
        times[k] = (times[k] - origin) / 60_000;
    }
    return { records, start, count, minutes: times, facility, kind, triage, nation, category, jitterX, jitterY, origin, span: (end - origin) / 60_000, nations };
}
/** Maps an integer to [0, 1) with a fixed integer hash, so dots keep their places between runs. */
function unitHash(value) {
    let x = value >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
    x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
    x ^= x >>> 16;
    return (x >>> 0) / 4294967296;
}
function clock(milliseconds) {
    return new Date(milliseconds).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}
/** Builds the counts table's rows, one per count name. */
export function countRows() {
    return COUNT_NAMES.map((name) => el('tr', {}, el('th', { scope: 'row' }, name), el('td', { class: 'number' }, '0')));
}
