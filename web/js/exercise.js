/*
 * What both consoles show of the exercise alike: its clock, which runs on
 * between the server's updates at the exercise's speed, and the titles of
 * its objectives.
 */

import { t, formatClock } from './i18n.js';

/* Exercise time in ms now, from the last exercise message (at_ms, speed,
 * phase) and when it came (receivedAt, performance.now()). */
export function exerciseNow(exercise) {
  if (exercise.phase !== 'running') return exercise.at_ms;
  return exercise.at_ms + (performance.now() - exercise.receivedAt) * (exercise.speed || 1);
}

/* Shows the clock of exercise() in node now and every half second; returns
 * the function that shows it at once (after an exercise message). */
export function showClock(node, exercise) {
  const render = () => {
    const e = exercise();
    const speed = e.speed && e.speed !== 1 ? ` ${t('speed.value', { speed: e.speed })}` : '';
    node.textContent = formatClock(exerciseNow(e)) + speed;
  };
  setInterval(render, 500);
  return render;
}

/* How objective id reads: its title, else its text, else the id itself. */
export function objectiveTitle(objectives, id) {
  const o = objectives.find((x) => x.id === id);
  return o ? o.title || o.text || o.id : id;
}
