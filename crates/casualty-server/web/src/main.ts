// The planner page: prompts for the key, wires the scenario form, presets, saved configurations,
// jobs and replay together, and switches between the page's three views.

import { ApiError, FieldError, forgetKey, requestJson, storedKey, storeKey } from './api.js';
import { announce, byId, el } from './dom.js';
import { clearErrors, outputOptions, Scenario, ScenarioForm } from './form.js';
import { JobPanel, listJobs, showPatient, showReport } from './jobs.js';
import { countRows, Replay, SPEEDS } from './replay.js';

interface Preset {
  id: string;
  name: string;
  description: string;
}

interface SavedConfiguration {
  id: string;
  name: string;
  version: number;
  latest_version: number;
  configuration: Scenario;
}

const form = new ScenarioForm(byId('scenario-form'), byId<HTMLTextAreaElement>('scenario-json'), byId('scenario-json-error'));
let replay: Replay | null = null;
let patientJob: string | null = null;
let savedConfigurations: SavedConfiguration[] = [];

const panel = new JobPanel(() => void refreshJobs());

const jobActions = {
  follow: (jobId: string) => {
    showView('jobs');
    void panel.follow(jobId);
  },
  report: (jobId: string) => void showReport(jobId),
  replay: (jobId: string) => {
    showView('replay');
    void replayView().loadJob(jobId).catch((error: Error) => announce(`The replay could not load job ${jobId}: ${error.message}`, 'error'));
  },
  patient: (jobId: string) => {
    patientJob = jobId;
    byId('patient-job').textContent = jobId;
    byId('patient-panel').hidden = false;
    byId<HTMLInputElement>('patient-id').focus();
  },
};

function showView(name: string): void {
  for (const view of document.querySelectorAll<HTMLElement>('[data-view]')) {
    view.hidden = view.dataset.view !== name;
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-show]')) {
    button.setAttribute('aria-current', button.dataset.show === name ? 'page' : 'false');
  }
  if (name === 'jobs') {
    void refreshJobs();
  }
  if (name === 'replay') {
    replayView();
  }
}

function replayView(): Replay {
  replay ??= new Replay();
  return replay;
}

async function refreshJobs(): Promise<void> {
  if (storedKey()) {
    await listJobs(jobActions);
  }
}

function askForKey(): void {
  const dialog = byId<HTMLDialogElement>('key-dialog');
  byId<HTMLInputElement>('key-input').value = '';
  byId('key-error').textContent = '';
  dialog.showModal();
}

async function acceptKey(event: Event): Promise<void> {
  event.preventDefault();
  const input = byId<HTMLInputElement>('key-input');
  const key = input.value.trim();
  if (key === '') {
    byId('key-error').textContent = 'Enter an API key.';
    input.setAttribute('aria-invalid', 'true');
    return;
  }
  storeKey(key);
  try {
    await requestJson('GET', '/api/v1/jobs?per_page=1');
  } catch (error) {
    forgetKey();
    byId('key-error').textContent = error instanceof ApiError && error.status === 401 ? `This key was not accepted: ${error.message}` : (error as Error).message;
    input.setAttribute('aria-invalid', 'true');
    return;
  }
  input.removeAttribute('aria-invalid');
  byId<HTMLDialogElement>('key-dialog').close();
  showKeyState();
  announce('Key accepted for this browser session.');
  await Promise.all([refreshJobs(), loadConfigurations()]);
}

function showKeyState(): void {
  const hasKey = storedKey() !== null;
  byId('key-state').textContent = hasKey ? 'Key set for this session' : 'No key';
  byId('key-change').textContent = hasKey ? 'Change key' : 'Enter key';
}

async function loadPresets(): Promise<void> {
  const select = byId<HTMLSelectElement>('preset');
  try {
    const body = await requestJson<{ presets: Preset[] }>('GET', '/api/v1/presets');
    select.replaceChildren(el('option', { value: '' }, 'Choose a preset…'), ...body.presets.map((preset) => el('option', { value: preset.id, title: preset.description }, preset.name)));
  } catch (error) {
    announce(`The presets could not be loaded: ${(error as Error).message}`, 'error');
  }
}

async function applyPreset(): Promise<void> {
  const id = byId<HTMLSelectElement>('preset').value;
  if (!id) {
    return;
  }
  try {
    const preset = await requestJson<{ name: string; description: string; scenario: Scenario }>('GET', `/api/v1/presets/${encodeURIComponent(id)}`);
    form.load(preset.scenario);
    byId('preset-description').textContent = preset.description;
    announce(`Preset ${preset.name} loaded.`);
  } catch (error) {
    announce(`The preset could not be loaded: ${(error as Error).message}`, 'error');
  }
}

async function loadNations(): Promise<void> {
  try {
    const body = await requestJson<{ items: { code: string }[] }>('GET', '/api/v1/configurations/reference/nationalities');
    form.setNations(body.items.map((item) => item.code).sort());
  } catch (error) {
    announce(`The list of nations could not be loaded: ${(error as Error).message}`, 'error');
  }
}

async function loadConfigurations(): Promise<void> {
  try {
    savedConfigurations = (await requestJson<{ configurations: SavedConfiguration[] }>('GET', '/api/v1/configurations')).configurations;
  } catch (error) {
    announce(`The saved configurations could not be listed: ${(error as Error).message}`, 'error');
    return;
  }
  const select = byId<HTMLSelectElement>('saved');
  select.replaceChildren(
    el('option', { value: '' }, savedConfigurations.length === 0 ? 'No saved configurations' : 'Choose a saved configuration…'),
    ...savedConfigurations.map((saved) => el('option', { value: saved.id }, `${saved.name} (version ${saved.latest_version})`)),
  );
  showVersions();
}

function showVersions(): void {
  const saved = savedConfigurations.find((item) => item.id === byId<HTMLSelectElement>('saved').value);
  const versions = byId<HTMLSelectElement>('saved-version');
  versions.replaceChildren(...(saved ? Array.from({ length: saved.latest_version }, (_, index) => saved.latest_version - index).map((version) => el('option', { value: String(version) }, `Version ${version}`)) : []));
  versions.disabled = !saved;
  byId<HTMLButtonElement>('saved-load').disabled = !saved;
  byId<HTMLButtonElement>('save-version').disabled = !saved;
  if (saved) {
    byId<HTMLInputElement>('save-name').value = saved.name;
  }
}

async function loadSaved(): Promise<void> {
  const id = byId<HTMLSelectElement>('saved').value;
  const version = byId<HTMLSelectElement>('saved-version').value;
  try {
    const saved = await requestJson<SavedConfiguration>('GET', `/api/v1/configurations/${id}?version=${version}`);
    form.load(saved.configuration);
    announce(`Loaded ${saved.name}, version ${saved.version}.`);
  } catch (error) {
    announce(`The configuration could not be loaded: ${(error as Error).message}`, 'error');
  }
}

async function save(asNewVersion: boolean): Promise<void> {
  const saveArea = byId('save-area');
  clearErrors(saveArea);
  if (!refuseInvalidJson()) {
    return;
  }
  const id = byId<HTMLSelectElement>('saved').value;
  const name = byId<HTMLInputElement>('save-name').value;
  try {
    const saved = asNewVersion
      ? await requestJson<SavedConfiguration>('PUT', `/api/v1/configurations/${id}`, { configuration: form.value() })
      : await requestJson<SavedConfiguration>('POST', '/api/v1/configurations', { name, configuration: form.value() });
    announce(`Saved ${saved.name} as version ${saved.version}.`);
    await loadConfigurations();
    byId<HTMLSelectElement>('saved').value = saved.id;
    showVersions();
  } catch (error) {
    showRequestError(error, saveArea);
  }
}

/** Shows an error of the service: field errors beside their fields, the rest in the summary. */
function showRequestError(error: unknown, extraRoot?: HTMLElement): void {
  if (!(error instanceof ApiError)) {
    announce((error as Error).message, 'error');
    return;
  }
  if (error.errors.length > 0) {
    // Errors of a request made from one area (saving) belong beside that area's fields first.
    let unmatched = extraRoot ? form.showErrors(error.errors, extraRoot) : error.errors;
    unmatched = form.showErrors(unmatched);
    unmatched = form.showErrors(unmatched, byId('output-options'));
    showSummary(error.message, error.errors, unmatched, extraRoot ? 'The request needs changes' : undefined);
  } else {
    // An error without fields (a limit, a revoked key, a server fault) is shown where the
    // planner looks, not only in the status line at the top of the page.
    showSummary(error.message, [], [], 'The request failed');
  }
  if (error.status === 401) {
    askForKey();
  }
}

function showSummary(detail: string, errors: FieldError[], unmatched: FieldError[], heading = 'The scenario needs changes'): void {
  const summary = byId('error-summary');
  summary.hidden = false;
  byId('error-summary-heading').textContent = heading;
  byId('error-summary-text').textContent = `${detail}. ${errors.length - unmatched.length} shown beside their fields.`;
  byId('error-summary-list').replaceChildren(...unmatched.map((item) => el('li', {}, `${item.path}: ${item.message} (${JSON.stringify(item.value)}). Accepted: ${item.accepted}.`)));
  summary.focus();
  announce(detail, 'error');
}

function hideSummary(): void {
  byId('error-summary').hidden = true;
}

/** Stops a request while the JSON editor holds invalid text, which the form would silently ignore. */
function refuseInvalidJson(): boolean {
  const problem = form.jsonProblem();
  if (problem === null) {
    return true;
  }
  showSummary(problem, [], [], 'The JSON editor has an error');
  return false;
}

async function validate(): Promise<boolean> {
  hideSummary();
  if (!refuseInvalidJson()) {
    return false;
  }
  const local = form.localErrors();
  try {
    const result = await requestJson<{ valid: boolean; errors: FieldError[] }>('POST', '/api/v1/configurations/validate', form.value());
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
  } catch (error) {
    showRequestError(error);
    return false;
  }
}

async function runJob(): Promise<void> {
  if (!(await validate())) {
    return;
  }
  clearErrors(byId('output-options'));
  try {
    const created = await requestJson<{ job_id: string }>('POST', '/api/v1/generation', { configuration: form.value(), ...outputOptions() });
    announce(`Job ${created.job_id} queued.`);
    showView('jobs');
    void panel.follow(created.job_id);
  } catch (error) {
    showRequestError(error);
  }
}

async function openPatient(event: Event): Promise<void> {
  event.preventDefault();
  if (patientJob) {
    await showPatient(patientJob, byId<HTMLInputElement>('patient-id').value);
  }
}

function start(): void {
  byId('key-form').addEventListener('submit', (event) => void acceptKey(event));
  byId('key-change').addEventListener('click', askForKey);
  byId('key-forget').addEventListener('click', () => {
    forgetKey();
    showKeyState();
    announce('The key is forgotten.');
    askForKey();
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-show]')) {
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
    byId<HTMLInputElement>('encryption-password').disabled = !(event.target as HTMLInputElement).checked;
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
  } else {
    askForKey();
  }
  // The browser test reads this to know the page is ready.
  document.body.dataset.ready = 'true';
}

start();

