/*
 * The after-action report's download in the instructor console: asks the
 * server for it in the format chosen (`after_action`, web/PROTOCOL.md) and
 * saves the file its reply carries. The report is the one `enshu report`
 * writes, made from the ledger as it stands.
 */
import { t } from './i18n.js';
import { $, statusLine, errorText, saveFile } from './ui.js';

export function setupReportDownload(conn) {
  const form = $('report-form');
  if (!form) return;
  const status = statusLine($('report-status'));
  const button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    status.clear();
    try {
      const reply = await conn.request('after_action', { format: $('report-format').value });
      saveFile(reply.name, reply.data);
      status.ok(t('aar.saved', { name: reply.name }));
    } catch (e) {
      status.error(errorText(e));
    } finally {
      button.disabled = false;
    }
  });
}
