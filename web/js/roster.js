/*
 * The teams' names and organisations in both consoles: "Blue Falcons"
 * rather than "Team 3" wherever a team is named. They come with the
 * welcome (exercise.names: the roster's, as instructors renamed them) and
 * with each `team` message (an instructor renamed one); a team without a
 * name is "Team N" in the console's language.
 *
 * Instructors rename a team with teamNameEditor (team.rename), which the
 * ledger keeps, so a restart of the engine keeps the name.
 */

import { t } from './i18n.js';
import { el, statusLine, errorText } from './ui.js';

const names = new Map(); // team -> {name, organisation}
const listeners = [];

/* The welcome's list [{team, name, organisation}] (replaces all). */
export function setTeamNames(list) {
  names.clear();
  for (const n of list || []) names.set(n.team, { name: n.name, organisation: n.organisation || '' });
  for (const fn of listeners) fn();
}

/* A `team` message: one team renamed. */
export function noteTeamName(m) {
  names.set(m.team, { name: m.name, organisation: m.organisation || '' });
  for (const fn of listeners) fn();
}

/* Called after any name changes. */
export function onTeamNames(fn) {
  listeners.push(fn);
}

/* The team's name, or "Team N". */
export function teamLabel(team) {
  const n = names.get(Number(team));
  return n ? n.name : t('team.label', { team });
}

/* The team's organisation, or ''. */
export function teamOrganisation(team) {
  const n = names.get(Number(team));
  return n ? n.organisation : '';
}

/* The team's name with its organisation after it, when it has one. */
export function teamTitle(team) {
  const org = teamOrganisation(team);
  return org ? `${teamLabel(team)} (${org})` : teamLabel(team);
}

/* A team's name and organisation with a Rename button that opens a small
 * form in place (instructors). request: conn.request. */
export function teamNameEditor(team, request) {
  const shown = el(
    'span',
    { class: 'team-name' },
    el('span', { dataset: { test: 'team-name' } }, teamLabel(team)),
    teamOrganisation(team) ? el('span', { class: 'org', dataset: { test: 'team-organisation' } }, ` · ${teamOrganisation(team)}`) : null
  );
  const statusNode = el('span', { class: 'status', role: 'alert' });
  const status = statusLine(statusNode);
  const nameInput = el('input', {
    type: 'text',
    maxlength: 60,
    required: true,
    value: names.has(team) ? teamLabel(team) : '',
    'aria-label': t('teams.rename.name'),
    placeholder: t('teams.rename.name'),
    dataset: { test: 'team-rename-name' }
  });
  const orgInput = el('input', {
    type: 'text',
    maxlength: 100,
    value: teamOrganisation(team),
    'aria-label': t('teams.rename.organisation'),
    placeholder: t('teams.rename.organisation'),
    dataset: { test: 'team-rename-organisation' }
  });
  const form = el(
    'form',
    { class: 'row team-rename', hidden: true, dataset: { test: 'team-rename-form' } },
    nameInput,
    orgInput,
    el('button', { type: 'submit', class: 'small primary', dataset: { test: 'team-rename-save' } }, t('teams.rename.save')),
    el('button', { type: 'button', class: 'small', onclick: () => (form.hidden = true) }, t('dialog.cancel'))
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = nameInput.value.trim();
    const organisation = orgInput.value.trim();
    if (!name) {
      nameInput.focus();
      return;
    }
    try {
      await request('team.rename', organisation ? { team, name, organisation } : { team, name });
      form.hidden = true;
      status.ok(t('done'));
    } catch (err) {
      status.error(errorText(err));
    }
  });
  const open = el(
    'button',
    {
      type: 'button',
      class: 'small',
      dataset: { test: 'team-rename' },
      onclick: () => {
        form.hidden = false;
        nameInput.focus();
      }
    },
    t('teams.rename')
  );
  return el('div', { class: 'team-editor', dataset: { test: 'team-editor', team } }, shown, ' ', open, form, statusNode);
}
