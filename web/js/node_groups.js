/*
 * The instructor's nodes table grouped by team: one tbody per team, headed
 * by a row that opens and closes it and says how many of its nodes do not
 * run, so 40 teams of 4 nodes are 40 lines until one is opened, and a
 * guest that is down shows on its team's line. With a few teams every
 * group starts open; past that, closed (a group the instructor opened or
 * closed stays so across refreshes).
 */

import { t } from './i18n.js';
import { el } from './ui.js';
import { teamLabel } from './roster.js';

/* Up to this many teams, groups start open. */
const OPEN_UP_TO = 4;

export class NodeGroups {
  /* table: the nodes <table> (its thead stays; its tbodies are ours). */
  constructor(table) {
    this.table = table;
    this.chosen = new Map(); // team -> open (the instructor's choice)
    this.last = null; // {nodes, rowFor}: to render again on open or close
  }

  isOpen(team, teams) {
    return this.chosen.has(team) ? this.chosen.get(team) : teams <= OPEN_UP_TO;
  }

  /* nodes: [{team, name, state, ...}] in table order; rowFor(n): its <tr>. */
  render(nodes, rowFor) {
    this.last = { nodes, rowFor };
    const byTeam = new Map();
    for (const n of nodes) {
      if (!byTeam.has(n.team)) byTeam.set(n.team, []);
      byTeam.get(n.team).push(n);
    }
    const columns = this.table.tHead ? this.table.tHead.rows[0].cells.length : 5;
    const groups = [...byTeam].map(([team, list]) => {
      const open = this.isOpen(team, byTeam.size);
      const down = list.filter((n) => (n.state || 'unknown') !== 'running').length;
      const toggle = el(
        'button',
        {
          type: 'button',
          class: 'link',
          'aria-expanded': String(open),
          dataset: { test: 'node-group-toggle' },
          onclick: () => {
            this.chosen.set(team, !open);
            this.render(this.last.nodes, this.last.rowFor);
          }
        },
        teamLabel(team)
      );
      const head = el(
        'tr',
        { class: 'group' },
        el(
          'th',
          { scope: 'rowgroup', colspan: String(columns) },
          toggle,
          ' ',
          el('span', { class: 'small' }, t('nodes.group.count', { n: list.length })),
          ' ',
          down
            ? el('span', { class: 'flag down', dataset: { test: 'node-group-down', down } }, t('nodes.group.down', { n: down }))
            : el('span', { class: 'small', dataset: { test: 'node-group-down', down: 0 } }, t('nodes.group.all.running'))
        )
      );
      return el(
        'tbody',
        { dataset: { test: 'node-group', team, open: String(open), down } },
        head,
        ...(open ? list.map(rowFor) : [])
      );
    });
    for (const old of [...this.table.tBodies]) old.remove();
    this.table.append(...groups);
  }

  /* Opens (or closes) every group. */
  setAll(open) {
    if (!this.last) return;
    for (const n of this.last.nodes) this.chosen.set(n.team, open);
    this.render(this.last.nodes, this.last.rowFor);
  }
}
