// The planner page: prompts for the key, wires the scenario form, presets, saved configurations,
// jobs and replay together, and switches between the page's three views.
import { ApiError, forgetKey, requestJson, storedKey, storeKey } from './api.js';
import { announce, byId, el } from './dom.js';
import { clearErrors, outputOptions, ScenarioForm } from './form.js';
import { JobPanel, listJobs, showPatient, showReport } from './jobs.js';
import { countRows, Replay, SPEEDS } from './replay.js';
const form = new ScenarioForm(byId('scenario-form'), byId('scenario-json'), byId('scenario-json-error'));
let replay = null;
let patientJob = null;
let savedConfigurations = [];
const panel = new JobPanel(() => void refreshJobs());
const jobActions = {
    follow: (jobId) => {
        showView('jobs');
        void panel.follow(jobId);
    },
    report: (jobId) => void showReport(jobId),
    replay: (jobId) => {
        showView('replay');
        void replayView().loadJob(jobId).catch((error) => announce(`The replay could not load job ${jobId}: ${error.message}`, 'error'));
    },
    patient: (jobId) => {
        patientJob = jobId;
        byId('patient-job').textContent = jobId;
        byId('patient-panel').hidden = false;
        byId('patient-id').focus();
    },
};
function showView(name) {
    for (const view of document.querySelectorAll('[data-view]')) {
        view.hidden = view.dataset.view !== name;
    }
    for (const button of document.querySelectorAll('[data-show]')) {
        button.setAttribute('aria-current', button.dataset.show === name ? 'page' : 'false');
    }
    if (name === 'jobs') {
        void refreshJobs();
    }
    if (name === 'replay') {
        replayView();
    }
}
function replayView() {
    replay ??= new Replay();
    return replay;
}
async function refreshJobs() {
    if (storedKey()) {
        await listJobs(jobActions);
    }
}
function askForKey() {
    const dialog = byId('key-dialog');
    byId('key-input').value = '';
    byId('key-error').textContent = '';
    dialog.showModal();
}
async function acceptKey(event) {
    event.preventDefault();
    const input = byId('key-input');
    const key = input.value.trim();
    if (key === '') {
        byId('key-error').textContent = 'Enter an API key.';
        input.setAttribute('aria-invalid', 'true');
        return;
    }
    storeKey(key);
    try {
        await requestJson('GET', '/api/v1/jobs?per_page=1');
    }
    catch (error) {
        forgetKey();
        byId('key-error').textContent = error instanceof ApiError && error.status === 401 ? `This key was not accepted: ${error.message}` : error.message;
        input.setAttribute('aria-invalid', 'true');
        return;
    }
    input.removeAttribute('aria-invalid');
    byId('key-dialog').close();
    showKeyState();
    announce('Key accepted for this browser session.');
    await Promise.all([refreshJobs(), loadConfigurations()]);
}
function showKeyState() {
    const hasKey = storedKey() !== null;
    byId('key-state').textContent = hasKey ? 'Key set for this session' : 'No key';
    byId('key-change').textContent = hasKey ? 'Change key' : 'Enter key';
}
async function loadPresets() {
    const select = byId('preset');
    try {
        const body = await requestJson('GET', '/api/v1/presets');
        select.replaceChildren(el('option', { value: '' }, 'Choose a preset…'), ...body.presets.map((preset) => el('option', { value: preset.id, title: preset.description }, preset.name)));
    }
    catch (error) {
        announce(`The presets could not be loaded: ${error.message}`, 'error');
    }
}
async function applyPreset() {
    const id = byId('preset').value;
    if (!id) {
        return;
    }
    try {
        const preset = await requestJson('GET', `/api/v1/presets/${encodeURIComponent(id)}`);
        form.load(preset.scenario);
        byId('preset-description').textContent = preset.description;
        announce(`Preset ${preset.name} loaded.`);
    }
    catch (error) {
        announce(`The preset could not be loaded: ${error.message}`, 'error');
    }
}
async function loadNations() {
    try {
        const body = await requestJson('GET', '/api/v1/configurations/reference/nationalities');
        form.setNations(body.items.map((item) => item.code).sort());
    }
    catch (error) {
        announce(`The list of nations could not be loaded: ${error.message}`, 'error');
    }
}
async function loadConfigurations() {
    try {
        savedConfigurations = (await requestJson('GET', '/api/v1/configurations')).configurations;
    }
    catch (error) {
        announce(`The saved configurations could not be listed: ${error.message}`, 'error');
        return;
    }
    const select = byId('saved');
    select.replaceChildren(el('option', { value: '' }, savedConfigurations.length === 0 ? 'No saved configurations' : 'Choose a saved configuration…'), ...savedConfigurations.map((saved) => el('option', { value: saved.id }, `${saved.name} (version ${saved.latest_version})`)));
    showVersions();
}
function showVersions() {
    const saved = savedConfigurations.find((item) => item.id === byId('saved').value);
    const versions = byId('saved-version');
    versions.replaceChildren(...(saved ? Array.from({ length: saved.latest_version }, (_, index) => saved.latest_version - index).map((version) => el('option', { value: String(version) }, `Version ${version}`)) : []));
    versions.disabled = !saved;
    byId('saved-load').disabled = !saved;
    byId('save-version').disabled = !saved;
    if (saved) {
        byId('save-name').value = saved.name;
    }
}
async function loadSaved() {
    const id = byId('saved').value;
    const version = byId('saved-version').value;
    try {
        const saved = await requestJson('GET', `/api/v1/configurations/${id}?version=${version}`);
        form.load(saved.configuration);
        announce(`Loaded ${saved.name}, version ${saved.version}.`);
    }
    catch (error) {
        announce(`The configuration could not be loaded: ${error.message}`, 'error');
    }
}
async function save(asNewVersion) {
    const saveArea = byId('save-area');
    clearErrors(saveArea);
    if (!refuseInvalidJson()) {
        return;
    }
    const id = byId('saved').value;
    const name = byId('save-name').value;
    try {
        const saved = asNewVersion
            ? await requestJson('PUT', `/api/v1/configurations/${id}`, { configuration: form.value() })
            : await requestJson('POST', '/api/v1/configurations', { name, configuration: form.value() });
        announce(`Saved ${saved.name} as version ${saved.version}.`);
        await loadConfigurations();
        byId('saved').value = saved.id;
        showVersions();
    }
    catch (error) {
        showRequestError(error, saveArea);
    }
}
/** Shows an error of the service: field errors beside their fields, the rest in the summary. */
function showRequestError(error, extraRoot) {
    if (!(error instanceof ApiError)) {
        announce(error.message, 'error');
        return;
    }
    if (error.errors.length > 0) {
        // Errors of a request made from one area (saving) belong beside that area's fields first.
        let unmatched = extraRoot ? form.showErrors(error.errors, extraRoot) : error.errors;
        unmatched = form.showErrors(unmatched);
        unmatched = form.showErrors(unmatched, byId('output-options'));
        showSummary(error.message, error.errors, unmatched, extraRoot ? 'The request needs changes' : undefined);
    }
    else {
        // An error without fields (a limit, a revoked key, a server fault) is shown where the
        // planner looks, not only in the status line at the top of the page.
        showSummary(error.message, [], [], 'The request failed');
    }
    if (error.status === 401) {
        askForKey();
    }
}
function showSummary(detail, errors, unmatched, heading = 'The scenario needs changes') {
    const summary = byId('error-summary');
    summary.hidden = false;
    byId('error-summary-heading').textContent = heading;
    byId('error-summary-text').textContent = `${detail}. ${errors.length - unmatched.length} shown beside their fields.`;
    byId('error-summary-list').replaceChildren(...unmatched.map((item) => el('li', {}, `${item.path}: ${item.message} (${JSON.stringify(item.value)}). Accepted: ${item.accepted}.`)));
    summary.focus();
    announce(detail, 'error');
}
function hideSummary() {
    byId('error-summary').hidden = true;
}
/** Stops a request while the JSON editor holds invalid text, which the form would silently ignore. */
function refuseInvalidJson() {
    const problem = form.jsonProblem();
    if (problem === null) {
        return true;
    }
    showSummary(problem, [], [], 'The JSON editor has an error');
    return false;
}
async function validate() {
    hideSummary();
    if (!refuseInvalidJson()) {
        return false;
    }
    const local = form.localErrors();
    try {
        const result = await requestJson('POST', '/api/v1/configurations/validate', form.value());
        // The server's message wins; the page's own sum check covers only what the server did not report.
        const errors = [...result.errors, ...local.filter((item) => !result.errors.some((error) => error.path === item.path))];
        if (errors.length === 0) {
            form.showErrors([]);
            announce('The scenario is valid.');
            return true;
        }
        const unmatched = form.showErrors(errors);
        showSummary(`The scenario has ${errors.length} error${errors.length === 1 ? '' : 's'}`, errors, unmatched);
        return false;
    }
    catch (error) {
        showRequestError(error);
        return false;
    }
}
async function runJob() {
    if (!(await validate())) {
        return;
    }
    clearErrors(byId('output-options'));
    try {
        const created = await requestJson('POST', '/api/v1/generation', { configuration: form.value(), ...outputOptions() });
        announce(`Job ${created.job_id} queued.`);
        showView('jobs');
        void panel.follow(created.job_id);
    }
    catch (error) {
        showRequestError(error);
    }
}
async function openPatient(event) {
    event.preventDefault();
    if (patientJob) {
        await showPatient(patientJob, byId('patient-id').value);
    }
}
function start() {
    byId('key-form').addEventListener('submit', (event) => void acceptKey(event));
    byId('key-change').addEventListener('click', askForKey);
    byId('key-forget').addEventListener('click', () => {
        forgetKey();
        showKeyState();
        announce('The key is forgotten.');
        askForKey();
    });
    for (const button of document.querySelectorAll('[data-show]')) {
        button.addEventListener('click', () => showView(button.dataset.show ?? 'scenario'));
    }
    byId('preset-load').addEventListener('click', () => void applyPreset());
    byId('saved').addEventListener('change', showVersions);
    byId('saved-load').addEventListener('click', () => void loadSaved());
    byId('save-new').addEventListener('click', () => void save(false));
    byId('save-version').addEventListener('click', () => void save(true));
    byId('validate').addEventListener('click', () => void validate());
    byId('run').addEventListener('click', () => void runJob());
    byId('jobs-refresh').addEventListener('click', () => void refreshJobs());
    byId('patient-form').addEventListener('submit', (event) => void openPatient(event));
    byId('use-encryption').addEventListener('change', (event) => {
        byId('encryption-password').disabled = !event.target.checked;
    });
    byId('replay-speed').replaceChildren(...SPEEDS.map((speed) => el('option', { value: String(speed), selected: speed === 1 }, `${speed}×`)));
    byId('replay-counts').replaceChildren(...countRows());
    form.onChange(() => hideSummary());
    form.load({});
    showView('scenario');
    showKeyState();
    void loadPresets();
    void loadNations();
    if (storedKey()) {
        void loadConfigurations();
    }
    else {
        askForKey();
    }
    // The browser test reads this to know the page is ready.
    document.body.dataset.ready = 'true';
}
start();
