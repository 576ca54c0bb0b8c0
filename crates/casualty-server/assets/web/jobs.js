// Jobs: starting one, following its progress over the event stream, cancelling, listing past
// jobs, downloading outputs, showing the report and opening a patient's record.
import { ApiError, readEvents, request, requestJson, saveResponse } from './api.js';
import { announce, byId, el, formatDuration, formatNumber } from './dom.js';
const FINISHED = ['completed', 'failed', 'cancelled'];
/** Follows one job at a time in the progress panel. */
export class JobPanel {
    following = null;
    job = null;
    onFinished;
    constructor(onFinished) {
        this.onFinished = onFinished;
        byId('cancel-job').addEventListener('click', () => void this.cancel());
        byId('download-job').addEventListener('click', () => this.job && void download(this.job.job_id));
    }
    /** Shows `jobId` and follows its events until it ends. */
    async follow(jobId) {
        this.following?.abort();
        const controller = new AbortController();
        this.following = controller;
        byId('job-panel').hidden = false;
        byId('job-id').textContent = jobId;
        this.show(await requestJson('GET', `/api/v1/jobs/${jobId}`));
        try {
            await readEvents(`/api/v1/jobs/${jobId}/events`, controller.signal, (event) => {
                if (event.event === 'progress' || event.event === 'end') {
                    this.show(JSON.parse(event.data));
                }
                else if (event.event === 'error') {
                    const body = JSON.parse(event.data);
                    announce(`Progress of job ${jobId} stopped: ${body.detail ?? 'unknown error'}`, 'error');
                }
            });
            if (this.job && !FINISHED.includes(this.job.status) && !controller.signal.aborted) {
                announce(`The progress stream of job ${jobId} ended before the job did, for example because the server is stopping. Choose Progress on the job to follow it again.`, 'error');
            }
        }
        catch (error) {
            if (!controller.signal.aborted) {
                announce(`Progress of job ${jobId} could not be followed: ${error.message}`, 'error');
            }
        }
    }
    show(job) {
        this.job = job;
        const details = job.progress_details;
        const bar = byId('job-progress');
        bar.value = job.progress;
        byId('job-progress-text').textContent = `${job.progress}%`;
        byId('job-status').textContent = job.status;
        const finished = FINISHED.includes(job.status);
        // A finished job keeps the phase it last recorded, so the page shows its status instead.
        byId('job-phase').textContent = finished ? job.status : details.phase;
        byId('job-done').textContent = `${formatNumber(details.patients_done)} of ${formatNumber(details.total_patients)}`;
        byId('job-rate').textContent = details.rate_per_second ? `${formatNumber(details.rate_per_second)} patients/s` : '–';
        byId('job-eta').textContent = details.eta_seconds !== null && details.eta_seconds !== undefined ? formatDuration(details.eta_seconds) : '–';
        byId('job-error').textContent = job.error ?? '';
        byId('cancel-job').disabled = finished;
        byId('download-job').disabled = job.status !== 'completed';
        if (finished) {
            announce(`Job ${job.job_id} ${job.status}.`, job.status === 'completed' ? 'info' : 'error');
            this.following = null;
            this.onFinished(job);
        }
    }
    async cancel() {
        if (!this.job) {
            return;
        }
        try {
            await requestJson('POST', `/api/v1/jobs/${this.job.job_id}/cancel`);
            announce(`Cancellation of job ${this.job.job_id} requested.`);
        }
        catch (error) {
            announce(`The job could not be cancelled: ${error.message}`, 'error');
        }
    }
}
/**
 * Downloads every output of a job as one ZIP archive. The key goes in a header, so the browser
 * cannot stream the response to disk by itself.
 */
export async function download(jobId) {
    // NOTE: the whole archive is held in the tab's memory before it is saved; for outputs of many
    // gigabytes use `GET /api/v1/downloads/{id}` with curl instead.
    try {
        const response = await request('GET', `/api/v1/downloads/${jobId}`);
        const name = await saveResponse(response, `casualties-${jobId}.zip`);
        announce(`Downloaded ${name}.`);
    }
    catch (error) {
        announce(`The download failed: ${error.message}`, 'error');
    }
}
/** Fills the table of past jobs. */
export async function listJobs(actions) {
    const body = byId('jobs-body');
    let jobs;
    try {
        jobs = (await requestJson('GET', '/api/v1/jobs?per_page=50')).jobs;
    }
    catch (error) {
        announce(`The jobs could not be listed: ${error.message}`, 'error');
        return;
    }
    if (jobs.length === 0) {
        body.replaceChildren(el('tr', {}, el('td', { colspan: 6 }, 'No jobs yet.')));
        return;
    }
    body.replaceChildren(...jobs.map((job) => {
        const completed = job.status === 'completed';
        const name = job.config?.configuration?.name ?? '(unnamed)';
        return el('tr', { 'data-job': job.job_id }, el('td', {}, new Date(job.created_at).toISOString().slice(0, 16).replace('T', ' ')), el('td', {}, name), el('td', {}, job.status), el('td', { class: 'number' }, formatNumber(job.progress_details.total_patients)), el('td', {}, job.output_formats.join(', ')), el('td', { class: 'actions' }, el('button', { type: 'button', class: 'link', 'aria-label': `Progress of job ${job.job_id}`, onClick: () => actions.follow(job.job_id) }, 'Progress'), completed ? el('button', { type: 'button', class: 'link', 'aria-label': `Download job ${job.job_id}`, onClick: () => void download(job.job_id) }, 'Download') : null, completed ? el('button', { type: 'button', class: 'link', 'aria-label': `Report of job ${job.job_id}`, onClick: () => actions.report(job.job_id) }, 'Report') : null, completed ? el('button', { type: 'button', class: 'link', 'aria-label': `Replay job ${job.job_id}`, onClick: () => actions.replay(job.job_id) }, 'Replay') : null, completed ? el('button', { type: 'button', class: 'link', 'aria-label': `Open a patient of job ${job.job_id}`, onClick: () => actions.patient(job.job_id) }, 'Patient') : null));
    }));
}
/** Shows the HTML report of a job in a sandboxed frame, which runs no script. */
export async function showReport(jobId) {
    const frame = byId('report-frame');
    byId('report-title').textContent = `Report of job ${jobId}`;
    announce(`Building the report of job ${jobId}…`);
    try {
        const response = await request('GET', `/api/v1/jobs/${jobId}/report`);
        frame.srcdoc = await response.text();
        byId('report-panel').hidden = false;
        announce(`Report of job ${jobId} shown.`);
    }
    catch (error) {
        announce(`The report could not be built: ${error.message}`, 'error');
    }
}
/** Opens one patient of a job by id or sequence number. */
export async function showPatient(jobId, patient) {
    const output = byId('patient-record');
    try {
        const record = await requestJson('GET', `/api/v1/jobs/${jobId}/patients/${encodeURIComponent(patient.trim())}`);
        output.textContent = JSON.stringify(record, null, 2);
        return record;
    }
    catch (error) {
        const message = error instanceof ApiError ? error.message : String(error);
        output.textContent = '';
        announce(`Patient ${patient} could not be opened: ${message}`, 'error');
        return null;
    }
}
