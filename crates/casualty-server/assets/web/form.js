// The scenario form and its JSON twin.
//
// The scenario object is the single source of truth. The form renders it and writes each edit
// back into it, and the JSON editor shows it. An edit of valid JSON replaces the object and
// renders the form again. Keys the form has no field for (overrides, facilities, troop
// strengths) stay in the object untouched. Every field carries `data-path`, the path the service
// uses in its field errors, so an error is shown beside the field it names.
import { byId, el } from './dom.js';
/** The categories of `injury_distribution`, with the spelling the form writes. */
export const CATEGORIES = ['Disease', 'Non-Battle Injury', 'Battle Injury'];
const WARFARE_TYPES = ['conventional', 'artillery', 'urban', 'guerrilla', 'drone', 'naval', 'cbrn', 'peacekeeping'];
const CONDITIONS = ['rain', 'fog', 'storm', 'extreme_heat', 'extreme_cold', 'dust_storm', 'night_operations', 'mountainous_terrain', 'urban_debris'];
const INTENSITIES = ['low', 'medium', 'high', 'extreme'];
const TEMPOS = ['sustained', 'escalating', 'surge', 'declining', 'intermittent'];
const EVENT_TYPES = ['mass_casualty', 'major_offensive', 'ambush'];
/** Accepted deviation of a percentage sum from 100, as the service accepts it. */
const SUM_TOLERANCE = 0.5;
/** The form, the JSON editor and the scenario they share. */
export class ScenarioForm {
    scenario = {};
    nations = [];
    container;
    json;
    jsonError;
    listeners = [];
    constructor(container, json, jsonError) {
        this.container = container;
        this.json = json;
        this.jsonError = jsonError;
        this.json.addEventListener('input', () => this.readJson());
    }
    /** Sets the nation codes offered for fronts. */
    setNations(codes) {
        this.nations = codes;
        this.render();
    }
    /** Calls `listener` after every change of the scenario. */
    onChange(listener) {
        this.listeners.push(listener);
    }
    /** Returns a copy of the scenario. */
    value() {
        return structuredClone(this.scenario);
    }
    /** Replaces the scenario and shows it. */
    load(scenario) {
        this.scenario = structuredClone(scenario);
        this.render();
        this.writeJson();
        this.changed();
    }
    /** Problems the page can see without the server: percentage sums out of tolerance. */
    localErrors() {
        const errors = [];
        const distribution = this.scenario.injury_distribution;
        if (isObject(distribution)) {
            const total = sum(Object.values(distribution));
            const fractions = Math.abs(total - 1) <= 0.005;
            if (!fractions && Math.abs(total - 100) > SUM_TOLERANCE) {
                errors.push({ path: 'injury_distribution', value: total, message: `the shares sum to ${round(total)}%`, accepted: 'percentages summing to 100 (99.5 to 100.5)' });
            }
        }
        const fronts = this.scenario.front_configs;
        if (Array.isArray(fronts)) {
            fronts.forEach((front, index) => {
                const nations = isObject(front) ? front.nationality_distribution : undefined;
                if (isObject(nations)) {
                    const total = sum(Object.values(nations));
                    if (Math.abs(total - 100) > SUM_TOLERANCE) {
                        errors.push({ path: `front_configs[${index}].nationality_distribution`, value: total, message: `the nations' percentages sum to ${round(total)}%`, accepted: 'percentages summing to 100 (99.5 to 100.5)' });
                    }
                }
            });
        }
        return errors;
    }
    /**
     * Shows `errors` beside the fields they name and returns those that no field matched. A path
     * with no field of its own goes to its closest enclosing field, such as a front's fieldset.
     */
    showErrors(errors, root = this.container) {
        clearErrors(root);
        const unmatched = [];
        errors.forEach((error, index) => {
            const target = findField(root, error.path.replace(/^configuration\./, ''));
            if (!target) {
                unmatched.push(error);
                return;
            }
            const id = `${root.id}-error-${index}`;
            const message = el('p', { class: 'field-error', id, 'data-error-for': error.path }, `${error.message}: ${describe(error.value)}. Accepted: ${error.accepted}.`);
            if (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA') {
                target.setAttribute('aria-invalid', 'true');
            }
            const describedBy = target.getAttribute('aria-describedby');
            target.setAttribute('aria-describedby', describedBy ? `${describedBy} ${id}` : id);
            const anchor = target.closest('.field') ?? target;
            if (anchor.tagName === 'FIELDSET') {
                const legend = anchor.querySelector(':scope > legend');
                (legend ?? anchor.firstChild)?.after(message);
            }
            else {
                anchor.append(message);
            }
        });
        return unmatched;
    }
    changed() {
        for (const listener of this.listeners) {
            listener();
        }
    }
    edit(mutate, rerender = false) {
        mutate(this.scenario);
        if (rerender) {
            this.render();
        }
        this.writeJson();
        this.updateSums();
        this.changed();
    }
    /** Returns the JSON editor's error while its text is not a valid scenario, or null. */
    jsonProblem() {
        if (this.json.getAttribute('aria-invalid') !== 'true') {
            return null;
        }
        return this.jsonError.textContent || 'The JSON editor holds text that is not a scenario.';
    }
    writeJson() {
        this.json.value = JSON.stringify(this.scenario, null, 2);
        this.json.removeAttribute('aria-invalid');
        this.jsonError.textContent = '';
    }
    readJson() {
        let parsed;
        try {
            parsed = JSON.parse(this.json.value);
        }
        catch (error) {
            this.json.setAttribute('aria-invalid', 'true');
            this.jsonError.textContent = `Invalid JSON: ${error.message}. The form keeps the last valid scenario.`;
            return;
        }
        if (!isObject(parsed)) {
            this.json.setAttribute('aria-invalid', 'true');
            this.jsonError.textContent = 'The scenario must be a JSON object, such as {"count": 500}.';
            return;
        }
        this.json.removeAttribute('aria-invalid');
        this.jsonError.textContent = '';
        this.scenario = parsed;
        this.render();
        this.changed();
    }
    render() {
        const focused = document.activeElement instanceof HTMLElement && this.container.contains(document.activeElement) ? document.activeElement.dataset.path : undefined;
        this.container.replaceChildren(this.general(), this.distribution(), this.fronts(), this.warfare(), this.events(), this.conditions());
        this.updateSums();
        if (focused) {
            this.container.querySelector(`[data-path="${CSS.escape(focused)}"]`)?.focus();
        }
    }
    general() {
        const s = this.scenario;
        const baseDate = typeof s.base_date === 'string' ? s.base_date.slice(0, 10) : '';
        return el('fieldset', { 'data-path': '' }, el('legend', {}, 'General'), el('div', { class: 'grid' }, textField('Name', 'name', s.name, (value) => this.edit((x) => setOrDelete(x, 'name', value))), numberField('Casualties', 'count', s.count ?? s.total_patients, { min: 1, max: 100000000, step: 1 }, (value) => this.edit((x) => {
            delete x.total_patients;
            setOrDelete(x, 'count', value);
        })), numberField('Seed', 'seed', s.seed, { min: 0, step: 1 }, (value) => this.edit((x) => setOrDelete(x, 'seed', value))), field('Start date (UTC)', 'base_date', el('input', { type: 'date', value: baseDate, 'data-path': 'base_date', onChange: (event) => this.edit((x) => setOrDelete(x, 'base_date', event.target.value || undefined)) })), numberField('Days of fighting', 'days_of_fighting', s.days_of_fighting, { min: 1, max: 365, step: 1 }, (value) => this.edit((x) => setOrDelete(x, 'days_of_fighting', value))), selectField('Intensity', 'intensity', INTENSITIES, typeof s.intensity === 'string' ? s.intensity : undefined, (value) => this.edit((x) => setOrDelete(x, 'intensity', value))), selectField('Tempo', 'tempo', TEMPOS, typeof s.tempo === 'string' ? s.tempo : undefined, (value) => this.edit((x) => setOrDelete(x, 'tempo', value)))));
    }
    distribution() {
        const current = isObject(this.scenario.injury_distribution) ? this.scenario.injury_distribution : undefined;
        const shares = current ? percentShares(current) : undefined;
        const inputs = CATEGORIES.map((category) => numberField(`${category} (%)`, `injury_distribution.${category}`, shares?.[category], { min: 0, max: 100, step: 'any' }, (value) => this.edit((x) => {
            const next = percentShares(isObject(x.injury_distribution) ? x.injury_distribution : {});
            if (value === undefined) {
                delete next[category];
            }
            else {
                next[category] = value;
            }
            x.injury_distribution = next;
        })));
        const usesDefault = current === undefined;
        return el('fieldset', { 'data-path': 'injury_distribution' }, el('legend', {}, 'Injury distribution'), el('p', { class: 'hint' }, usesDefault ? 'Empty: the mix of the warfare types applies. Enter all three shares to set your own.' : 'Percentages of each casualty category; they must sum to 100.'), el('div', { class: 'grid' }, ...inputs), el('p', { class: 'sum', id: 'distribution-sum', 'aria-live': 'polite', 'data-sum-for': 'injury_distribution' }));
    }
    fronts() {
        const fronts = Array.isArray(this.scenario.front_configs) ? this.scenario.front_configs : [];
        const list = fronts.map((front, index) => this.front(isObject(front) ? front : {}, index));
        return el('fieldset', { 'data-path': 'front_configs' }, el('legend', {}, 'Fronts and nations'), fronts.length === 0 ? el('p', { class: 'hint' }, 'No fronts: the three default fronts apply. Add a front to set your own.') : null, ...list, el('button', { type: 'button', class: 'secondary', onClick: () => this.edit((x) => {
                const next = Array.isArray(x.front_configs) ? x.front_configs : [];
                next.push({ id: `front-${next.length + 1}`, name: `Front ${next.length + 1}`, casualty_rate: 1, nationality_distribution: { USA: 100 } });
                x.front_configs = next;
            }, true) }, 'Add front'));
    }
    front(front, index) {
        const path = `front_configs[${index}]`;
        const update = (mutate, rerender = false) => this.edit((x) => {
            const fronts = x.front_configs;
            mutate(fronts[index]);
        }, rerender);
        const nations = nationMap(front.nationality_distribution);
        const rows = Object.entries(nations).map(([code, share], row) => el('div', { class: 'nation-row' }, field(`Nation ${row + 1}`, `${path}.nationality_distribution.${code}`, this.nationSelect(code, `${path}.nationality_distribution.${code}`, (next) => update((f) => {
            f.nationality_distribution = renameKey(nationMap(f.nationality_distribution), code, next);
        }, true))), numberField(`${code} share (%)`, `${path}.nationality_distribution.${code}.percentage`, share, { min: 0, max: 100, step: 'any' }, (value) => update((f) => {
            const map = nationMap(f.nationality_distribution);
            map[code] = value ?? 0;
            f.nationality_distribution = map;
        })), el('button', { type: 'button', class: 'link', 'aria-label': `Remove ${code} from front ${index + 1}`, onClick: () => update((f) => {
                const map = nationMap(f.nationality_distribution);
                delete map[code];
                f.nationality_distribution = map;
            }, true) }, 'Remove')));
        return el('fieldset', { class: 'front', 'data-path': path }, el('legend', {}, `Front ${index + 1}`), el('div', { class: 'grid' }, textField('Id', `${path}.id`, front.id, (value) => update((f) => setOrDelete(f, 'id', value))), textField('Name', `${path}.name`, front.name, (value) => update((f) => setOrDelete(f, 'name', value))), numberField('Casualty rate (weight)', `${path}.casualty_rate`, front.casualty_rate, { min: 0, step: 'any' }, (value) => update((f) => setOrDelete(f, 'casualty_rate', value)))), el('div', { class: 'nations', 'data-path': `${path}.nationality_distribution`, role: 'group', 'aria-label': `Nations of front ${index + 1}` }, ...rows), el('p', { class: 'sum', 'aria-live': 'polite', 'data-sum-for': `${path}.nationality_distribution` }), el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', onClick: () => update((f) => {
                const map = nationMap(f.nationality_distribution);
                const free = this.nations.find((code) => !(code in map)) ?? 'USA';
                map[free] = 0;
                f.nationality_distribution = map;
            }, true) }, 'Add nation'), el('button', { type: 'button', class: 'link', onClick: () => this.edit((x) => {
                const fronts = x.front_configs;
                fronts.splice(index, 1);
                if (fronts.length === 0) {
                    delete x.front_configs;
                }
            }, true) }, `Remove front ${index + 1}`)));
    }
    nationSelect(current, path, onSelect) {
        const codes = this.nations.includes(current) ? this.nations : [current, ...this.nations];
        const select = el('select', { 'data-path': path, onChange: (event) => onSelect(event.target.value) }, ...codes.map((code) => el('option', { value: code }, code)));
        select.value = current;
        return select;
    }
    warfare() {
        const weights = choiceWeights(this.scenario.warfare_types);
        return el('fieldset', { 'data-path': 'warfare_types' }, el('legend', {}, 'Warfare types'), el('p', { class: 'hint' }, 'Relative weights; 0 or empty leaves a type off. With none on, conventional applies.'), el('div', { class: 'grid compact' }, ...WARFARE_TYPES.map((type) => numberField(label(type), `warfare_types.${type}`, weights[type], { min: 0, max: 1000000, step: 'any' }, (value) => this.edit((x) => {
            const next = choiceWeights(x.warfare_types);
            if (value) {
                next[type] = value;
            }
            else {
                delete next[type];
            }
            if (Object.keys(next).length === 0) {
                delete x.warfare_types;
            }
            else {
                x.warfare_types = next;
            }
        })))));
    }
    events() {
        const events = Array.isArray(this.scenario.special_events) ? this.scenario.special_events : [];
        const update = (index, key, value) => this.edit((x) => {
            const list = x.special_events;
            setOrDelete(list[index], key, value);
        });
        const rows = events.map((event, index) => {
            const item = isObject(event) ? event : {};
            const path = `special_events[${index}]`;
            return el('div', { class: 'grid event-row', 'data-path': path, role: 'group', 'aria-label': `Event ${index + 1}` }, selectField(`Event ${index + 1} type`, `${path}.type`, EVENT_TYPES, typeof item.type === 'string' ? item.type : String(item.kind ?? ''), (value) => update(index, 'type', value)), numberField('Day', `${path}.day`, item.day, { min: 1, max: 365, step: 1 }, (value) => update(index, 'day', value)), numberField('Hour (UTC)', `${path}.hour`, item.hour, { min: 0, max: 23, step: 1 }, (value) => update(index, 'hour', value)), numberField('Casualties', `${path}.size`, item.size ?? item.casualties, { min: 1, step: 1 }, (value) => update(index, 'size', value)), el('button', { type: 'button', class: 'link', onClick: () => this.edit((x) => {
                    const list = x.special_events;
                    list.splice(index, 1);
                    if (list.length === 0) {
                        delete x.special_events;
                    }
                }, true) }, `Remove event ${index + 1}`));
        });
        const booleanForm = isObject(this.scenario.special_events);
        return el('fieldset', { 'data-path': 'special_events' }, el('legend', {}, 'Special events'), booleanForm ? el('p', { class: 'hint' }, 'The events are set as on/off switches; edit them in the JSON, or add an event here to switch to a list.') : null, ...rows, el('button', { type: 'button', class: 'secondary', onClick: () => this.edit((x) => {
                const list = Array.isArray(x.special_events) ? x.special_events : [];
                list.push({ type: 'mass_casualty', day: 1, hour: 12, size: 10 });
                x.special_events = list;
            }, true) }, 'Add event'));
    }
    conditions() {
        const active = choiceWeights(this.scenario.environmental_conditions);
        return el('fieldset', { 'data-path': 'environmental_conditions' }, el('legend', {}, 'Environmental conditions'), el('div', { class: 'checks' }, ...CONDITIONS.map((condition) => el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: (active[condition] ?? 0) > 0, 'data-path': `environmental_conditions.${condition}`, onChange: (event) => this.edit((x) => {
                const current = Object.keys(choiceWeights(x.environmental_conditions)).filter((name) => name !== condition);
                if (event.target.checked) {
                    current.push(condition);
                }
                if (current.length === 0) {
                    delete x.environmental_conditions;
                }
                else {
                    x.environmental_conditions = current;
                }
            }) }), ` ${label(condition)}`))));
    }
    /** Shows the live sums of the percentage groups, marking those out of tolerance. */
    updateSums() {
        const local = this.localErrors();
        for (const output of this.container.querySelectorAll('[data-sum-for]')) {
            const path = output.dataset.sumFor ?? '';
            const value = path === 'injury_distribution' ? this.scenario.injury_distribution : nationMap(getFront(this.scenario, path)?.nationality_distribution);
            if (!isObject(value) || Object.keys(value).length === 0) {
                output.textContent = '';
                continue;
            }
            const total = sum(Object.values(value));
            const problem = local.find((error) => error.path === path);
            output.textContent = problem ? `Sum ${round(total)}%: must be 100% (99.5 to 100.5).` : `Sum ${round(total)}%.`;
            output.classList.toggle('sum-error', Boolean(problem));
            const group = this.container.querySelector(`[data-path="${CSS.escape(path)}"]`);
            group?.querySelectorAll('input').forEach((input) => (problem ? input.setAttribute('aria-invalid', 'true') : input.removeAttribute('aria-invalid')));
        }
    }
}
/** Fills the output options from the page's fields. */
export function outputOptions() {
    const formats = [...document.querySelectorAll('input[name="format"]:checked')].map((input) => input.value);
    const options = {
        output_formats: formats,
        use_compression: byId('use-compression').checked,
        priority: byId('priority').value,
    };
    if (byId('use-encryption').checked) {
        options.use_encryption = true;
        options.encryption_password = byId('encryption-password').value;
    }
    return options;
}
/** Removes the error messages and invalid marks under `root`. */
export function clearErrors(root) {
    root.querySelectorAll('.field-error').forEach((node) => node.remove());
    root.querySelectorAll('[aria-invalid]').forEach((node) => {
        if (!(node instanceof HTMLTextAreaElement)) {
            node.removeAttribute('aria-invalid');
        }
    });
    root.querySelectorAll('[aria-describedby]').forEach((node) => {
        const kept = (node.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && !id.includes('-error-'));
        if (kept.length > 0) {
            node.setAttribute('aria-describedby', kept.join(' '));
        }
        else {
            node.removeAttribute('aria-describedby');
        }
    });
}
function findField(root, path) {
    let candidate = path;
    for (;;) {
        const found = root.querySelector(`[data-path="${CSS.escape(candidate)}"]`);
        if (found) {
            return found;
        }
        const cut = Math.max(candidate.lastIndexOf('.'), candidate.lastIndexOf('['));
        if (cut <= 0) {
            return null;
        }
        candidate = candidate.slice(0, cut);
    }
}
let fieldCounter = 0;
function field(text, path, control) {
    fieldCounter += 1;
    const id = `field-${fieldCounter}`;
    control.id = id;
    return el('div', { class: 'field', 'data-field': path }, el('label', { for: id }, text), control);
}
function textField(text, path, value, onInput) {
    return field(text, path, el('input', { type: 'text', value: value === undefined || value === null ? '' : String(value), 'data-path': path, onInput: (event) => onInput(event.target.value || undefined) }));
}
function numberField(text, path, value, limits, onInput) {
    const input = el('input', {
        type: 'number',
        inputmode: 'decimal',
        min: limits.min,
        max: limits.max,
        step: limits.step,
        value: typeof value === 'number' ? String(value) : '',
        'data-path': path,
        onInput: (event) => {
            const raw = event.target.value;
            onInput(raw === '' ? undefined : Number(raw));
        },
    });
    return field(text, path, input);
}
function selectField(text, path, choices, value, onSelect) {
    const select = el('select', { 'data-path': path, onChange: (event) => onSelect(event.target.value || undefined) }, el('option', { value: '' }, '(default)'), ...choices.map((choice) => el('option', { value: choice }, label(choice))));
    select.value = value && choices.includes(value) ? value : '';
    return field(text, path, select);
}
function label(name) {
    const text = name.replace(/_/g, ' ');
    return name === 'cbrn' ? 'CBRN' : text.charAt(0).toUpperCase() + text.slice(1);
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function sum(values) {
    return values.reduce((total, value) => total + (typeof value === 'number' ? value : Number(value) || 0), 0);
}
function round(value) {
    return String(Math.round(value * 100) / 100);
}
function describe(value) {
    return typeof value === 'string' ? value : JSON.stringify(value);
}
function setOrDelete(target, key, value) {
    if (value === undefined || value === '') {
        delete target[key];
    }
    else {
        target[key] = value;
    }
}
/** Returns the shares as percentages under the form's category names; fractions are scaled. */
function percentShares(distribution) {
    const aliases = {
        disease: 'Disease',
        non_battle_injury: 'Non-Battle Injury',
        non_battle: 'Non-Battle Injury',
        nbi: 'Non-Battle Injury',
        battle_injury: 'Battle Injury',
        battle_trauma: 'Battle Injury',
        battle: 'Battle Injury',
        bi: 'Battle Injury',
    };
    const result = {};
    for (const [key, value] of Object.entries(distribution)) {
        const name = aliases[key.toLowerCase().replace(/[\s-]/g, '_')] ?? key;
        result[name] = Number(value);
    }
    const total = sum(Object.values(result));
    if (total > 0 && Math.abs(total - 1) <= 0.005) {
        for (const key of Object.keys(result)) {
            result[key] = Math.round(result[key] * 10000) / 100;
        }
    }
    return result;
}
/** Returns a nation distribution (list or object form) as an object from code to percentage. */
function nationMap(value) {
    const result = {};
    if (Array.isArray(value)) {
        for (const item of value) {
            if (isObject(item)) {
                const code = String(item.nationality_code ?? item.nationality ?? item.code ?? '').toUpperCase();
                result[code] = Number(item.percentage ?? item.share ?? 0);
            }
        }
    }
    else if (isObject(value)) {
        for (const [code, share] of Object.entries(value)) {
            result[code.toUpperCase()] = Number(share);
        }
    }
    return result;
}
function renameKey(map, from, to) {
    const result = {};
    for (const [key, value] of Object.entries(map)) {
        result[key === from ? to : key] = value;
    }
    return result;
}
/** Returns the weights of a warfare-type or condition setting in any of its three forms. */
function choiceWeights(value) {
    const result = {};
    if (Array.isArray(value)) {
        for (const name of value) {
            const key = String(name).toLowerCase().replace(/[\s-]/g, '_');
            result[key] = (result[key] ?? 0) + 1;
        }
    }
    else if (isObject(value)) {
        for (const [name, weight] of Object.entries(value)) {
            let number = Number(weight);
            if (typeof weight === 'boolean') {
                number = weight ? 1 : 0;
            }
            if (number > 0) {
                result[name.toLowerCase().replace(/[\s-]/g, '_')] = number;
            }
        }
    }
    return result;
}
function getFront(scenario, path) {
    const match = /^front_configs\[(\d+)\]/.exec(path);
    const fronts = scenario.front_configs;
    if (!match || !Array.isArray(fronts)) {
        return undefined;
    }
    const front = fronts[Number(match[1])];
    return isObject(front) ? front : undefined;
}
