/*
 * The scenario's accounts as a table (web/PROTOCOL.md, welcome.accounts):
 * user, who it is, the password trainees log in with, sudo, and the nodes
 * that have it. The trainee console shows its team's; the instructor
 * console every team's, with a team column.
 */

import { t } from './i18n.js';
import { el } from './ui.js';
import { teamLabel } from './roster.js';

/* Fills host with the accounts (nothing, and hidden, when there are none). */
export function renderAccounts(host, accounts, { withTeam = false } = {}) {
  host.hidden = !accounts.length;
  if (!accounts.length) {
    host.replaceChildren();
    return;
  }
  const head = el(
    'tr',
    {},
    withTeam ? el('th', { scope: 'col' }, t('codes.team')) : null,
    el('th', { scope: 'col' }, t('account.name')),
    el('th', { scope: 'col' }, t('account.title')),
    el('th', { scope: 'col' }, t('account.password')),
    el('th', { scope: 'col' }, t('account.sudo')),
    el('th', { scope: 'col' }, t('account.nodes'))
  );
  const rows = accounts.map((a) =>
    el(
      'tr',
      { dataset: { test: 'account-row', team: a.team, user: a.name } },
      withTeam ? el('td', {}, teamLabel(a.team)) : null,
      el('th', { scope: 'row' }, el('code', {}, a.name)),
      el('td', {}, a.title || ''),
      el('td', {}, el('code', { dataset: { test: 'account-password' } }, a.password)),
      el('td', {}, a.sudo ? t('account.sudo.yes') : t('account.sudo.no')),
      el('td', {}, (a.nodes || []).join(', '))
    )
  );
  host.replaceChildren(
    el('h2', {}, t('accounts.title')),
    el('p', { class: 'small' }, t(withTeam ? 'accounts.help.instructor' : 'accounts.help')),
    el('table', { class: 'accounts', dataset: { test: 'accounts' } }, el('thead', {}, head), el('tbody', {}, rows))
  );
}
