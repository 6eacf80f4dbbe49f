/*
 * The consoles' own words in English and Japanese. Scenario texts (titles,
 * questions, messages) are not here: the server sends them in the language
 * the session asked for. The chosen language is remembered in localStorage
 * and followed by <html lang>, so screen readers and fonts switch with it.
 *
 * Elements carry data-i18n="key" (their text), data-i18n-placeholder,
 * data-i18n-label (aria-label) or data-i18n-title; apply() fills them in.
 */

const STRINGS = {
  en: {
    'app.name': 'Enshu',
    'lang.label': 'Language',
    'join.title': 'Join the exercise',
    'join.role': 'I am',
    'join.role.team': 'a team member',
    'join.role.instructor': 'an instructor',
    'join.code': 'Team join code',
    'join.code.help': 'Eight letters and digits, as XXXX-XXXX; your instructor gives it to you.',
    'join.name': 'Your display name',
    'join.name.help': 'Shown to your team and the instructors (1-40 characters).',
    'join.password': 'Instructor password',
    'join.submit': 'Join',
    'join.checking': 'Joining…',
    'join.error.code': 'Enter the join code as XXXX-XXXX.',
    'join.error.name': 'Enter a display name of 1 to 40 characters.',
    'join.error.password': 'Enter the instructor password.',
    'join.error.unreachable': 'The exercise server does not answer. Check the address and try again.',
    'join.error.rate_limited': 'Too many failed attempts. Try again in {seconds} s.',
    'conn.connecting': 'Connecting…',
    'conn.open': 'Connected',
    'conn.reconnecting': 'Connection lost; reconnecting in {seconds} s…',
    'conn.failed': 'Signed out: {message}',
    'conn.lost': 'The connection was lost before the server answered. Check before you try again.',
    'nav.sections': 'Sections',
    'nav.inbox': 'Inbox',
    'nav.tasks': 'Tasks',
    'nav.nodes': 'Nodes',
    'nav.timeline': 'Timeline',
    'nav.control': 'Exercise',
    'nav.teams': 'Teams',
    'nav.scoreboard': 'Scoreboard',
    'nav.reports': 'Reports',
    'nav.events': 'Events',
    'logout': 'Leave',
    'team.label': 'Team {team}',
    'score.label': 'Score',
    'score.points': '{points} points',
    'score.penalties': 'penalties {points}',
    'phase.label': 'Exercise',
    'phase.ready': 'not started',
    'phase.running': 'running',
    'phase.paused': 'paused',
    'phase.ended': 'ended',
    'phase.closed.ready': 'The exercise has not started: answers, reports and hints are taken once it runs.',
    'phase.closed.paused': 'The exercise is paused: answers, reports and hints are taken again once it resumes.',
    'phase.closed.ended': 'The exercise has ended: no more answers, reports or hints are taken.',
    'phase.closed.running': 'The exercise was not running; try again.',
    'clock.label': 'Exercise time',
    'speed.value': '×{speed}',
    'inbox.empty': 'No messages yet. New messages appear here as they arrive.',
    'inbox.from': 'From',
    'inbox.new': 'new',
    'inbox.attachment': 'Download {name} ({size})',
    'inbox.broadcast': 'Message from the instructors',
    'tasks.empty': 'No tasks in this exercise.',
    'task.points': '{points} points',
    'task.kind.question': 'Question',
    'task.kind.check': 'Task',
    'task.kind.report': 'Report',
    'task.check.help': 'Scored automatically once the systems show it is done.',
    'task.achieved': 'Done',
    'task.not_achieved': 'Not yet',
    'answer.label': 'Your answer',
    'answer.submit': 'Answer',
    'answer.correct': 'Correct: +{points} points.',
    'answer.wrong': 'Not correct.',
    'answer.recorded': 'Answer recorded.',
    'answer.attempts_left': '{count} attempts left.',
    'answer.attempt_left': 'One attempt left.',
    'answer.unlimited': 'Unlimited attempts.',
    'answer.no_attempts': 'No attempts left.',
    'answer.history': 'Answers given',
    'answer.by': '{text}, by {by}',
    'report.text': 'Report',
    'report.file': 'Attach a file (optional, at most {size})',
    'report.submit': 'Submit report',
    'report.submitted': 'Report submitted.',
    'report.too_big': 'The file {name} is larger than {size}.',
    'report.too_long': 'The report and its file are too long to send together (64 KiB at most): shorten the text or the file.',
    'report.empty': 'Write the report first.',
    'report.rubric': 'How it is graded',
    'report.history': 'Reports submitted',
    'report.grade': '{points} / {max} points',
    'report.ungraded': 'not graded yet',
    'hint.take': 'Hint {number} (costs {cost} points)',
    'hint.taken': 'Hint {number}',
    'hint.confirm.title': 'Take this hint?',
    'hint.confirm.text': 'This hint costs your team {cost} points. It cannot be undone.',
    'hint.confirm.ok': 'Take the hint',
    'dialog.cancel': 'Cancel',
    'dialog.ok': 'OK',
    'nodes.empty': 'No nodes to show.',
    'accounts.title': 'Accounts',
    'accounts.help': "Your organisation's users: log in to your team's nodes with these.",
    'accounts.help.instructor': "Every team's users, with that team's passwords.",
    'account.name': 'User',
    'account.title': 'Who',
    'account.password': 'Password',
    'account.sudo': 'sudo',
    'account.sudo.yes': 'yes',
    'account.sudo.no': 'no',
    'account.nodes': 'On nodes',
    'node.name': 'Node',
    'node.state': 'State',
    'node.state.running': 'running',
    'node.state.shut off': 'shut off',
    'node.state.crashed': 'crashed',
    'node.state.unknown': 'unknown',
    'node.addresses': 'Addresses',
    'node.console.open': 'Open serial console',
    'node.console.close': 'Close console',
    'node.console.none': 'No console',
    'node.restart': 'Restart',
    'node.restart.confirm.title': 'Restart {node} of team {team}?',
    'node.restart.confirm.text': 'The guest is powered off and started again; what was not saved on it is lost.',
    'node.revert': 'Revert',
    'node.revert.confirm.title': 'Revert {node} of team {team} to its image?',
    'node.revert.confirm.text': 'The guest starts again on a fresh disk: everything changed on it since the start is gone.',
    'console.label': 'Serial console of {node}',
    'console.connected': 'Connected to the serial console of {node}. Press Enter for a prompt.',
    'console.closed': 'The console closed: {reason}',
    'console.reopening': 'Reconnecting the console…',
    'node.display.open': 'Open screen',
    'node.display.close': 'Close screen',
    'display.label': 'Screen of {node}',
    'display.connected': 'Connected to the screen of {node}.',
    'display.closed': 'The screen closed: {reason}',
    'display.reopening': 'Reconnecting the screen…',
    'display.cad': 'Ctrl-Alt-Del',
    'display.cad.confirm.title': 'Send Ctrl-Alt-Del to {node}?',
    'display.cad.confirm.text': 'The guest acts on it as on a real keyboard: most restart or show their security screen.',
    'display.fit': 'Fit to the panel',
    'display.resize': 'Resize the guest to the panel',
    'display.take': 'Take control',
    'display.watch': 'Watch only',
    'display.clipboard': 'Clipboard',
    'display.paste': 'Paste into the guest',
    'timeline.empty': 'Nothing has happened yet.',
    'timeline.inbox': 'Message: {subject}',
    'timeline.answer': '{by} answered {objective}: {text}',
    'timeline.answer.correct': '{by} answered {objective} correctly',
    'timeline.report': '{by} submitted a report for {objective}',
    'timeline.grade': '{objective}, item {item}: graded {points} points',
    'timeline.hint': 'Hint taken for {objective} (−{cost})',
    'timeline.message': 'Instructors: {text}',
    'timeline.exercise': 'Exercise {phase}',
    'control.start': 'Start',
    'control.pause': 'Pause',
    'control.resume': 'Resume',
    'control.end': 'End',
    'control.end.confirm.title': 'End the exercise?',
    'control.end.confirm.text': 'No inject fires and no answer counts after the end.',
    'control.speed': 'Speed',
    'control.speed.set': 'Set speed',
    'control.speed.invalid': 'The speed must be above 0 and at most 1000.',
    'broadcast.title': 'Broadcast a message',
    'broadcast.text': 'Message',
    'broadcast.team': 'To',
    'broadcast.all': 'all teams',
    'broadcast.send': 'Send',
    'broadcast.sent': 'Sent.',
    'codes.title': 'Join codes',
    'codes.team': 'Team',
    'codes.code': 'Code',
    'codes.members': 'Members',
    'codes.rotate': 'New code',
    'codes.rotate.confirm.title': 'Give team {team} a new join code?',
    'codes.rotate.confirm.text': 'The current code stops working at once. Members who have joined stay joined; give the new code to those who have not.',
    'members.none': 'nobody yet',
    'members.remove': 'Remove',
    'members.remove.confirm.title': 'Remove {name} from team {team}?',
    'members.remove.confirm.text': 'Their sessions close and they are signed out. To keep them from joining again, also give the team a new code.',
    'teams.select': 'Team',
    'injects.title': 'Injects',
    'injects.id': 'Inject',
    'injects.state': 'State',
    'injects.at': 'At',
    'injects.why': 'Why not yet',
    'injects.actions': 'Actions',
    'inject.release': 'Release',
    'inject.skip': 'Skip',
    'inject.hold': 'Hold',
    'inject.unhold': 'Unhold',
    'inject.release.confirm.title': 'Release {inject} for team {team}?',
    'inject.release.confirm.text': 'It fires now (or as soon as the exercise runs again).',
    'inject.skip.confirm.title': 'Skip {inject} for team {team}?',
    'inject.skip.confirm.text': 'It will not fire for this team.',
    'inject.retry': 'Retry',
    'inject.retry.confirm.title': 'Retry {inject} for team {team}?',
    'inject.retry.confirm.text': 'It runs again now (or as soon as the exercise runs again). What its failed run did on the guest stays.',
    'alert.inject.failed': 'Team {team}: inject {inject} failed at {at}: {why}',
    'events.team': 'Team events',
    'scoreboard.team': 'Team',
    'scoreboard.total': 'Total',
    'scoreboard.penalties': 'Penalties',
    'scoreboard.chart': 'Score over time',
    'scoreboard.chart.desc': 'Each line is a team\'s total score over exercise time.',
    'scoreboard.max': 'of {max} possible',
    'scoreboard.minutes': 'min',
    'reports.empty': 'No report has been submitted yet.',
    'reports.item': 'Item {item}: {text} (at most {points})',
    'reports.points': 'Points',
    'reports.grade': 'Grade',
    'reports.graded': 'Graded.',
    'reports.attachment': 'Attachment: {name}',
    'events.empty': 'No events yet.',
    'error.generic': 'The server refused: {message}',
    'error.rate_limited': 'Too many requests. Try again in {seconds} s.',
    'dismiss': 'Dismiss',
    'done': 'Done.'
  },
  ja: {
    'app.name': '演習',
    'lang.label': '言語',
    'join.title': '演習に参加する',
    'join.role': '参加区分',
    'join.role.team': 'チームメンバー',
    'join.role.instructor': '講師',
    'join.code': 'チーム参加コード',
    'join.code.help': 'XXXX-XXXX 形式の8文字です。講師から配布されます。',
    'join.name': '表示名',
    'join.name.help': 'チームと講師に表示されます(1〜40文字)。',
    'join.password': '講師パスワード',
    'join.submit': '参加',
    'join.checking': '接続中…',
    'join.error.code': '参加コードを XXXX-XXXX の形式で入力してください。',
    'join.error.name': '表示名を1〜40文字で入力してください。',
    'join.error.password': '講師パスワードを入力してください。',
    'join.error.unreachable': '演習サーバに接続できません。アドレスを確認して再度お試しください。',
    'join.error.rate_limited': '失敗が続いたため一時的に制限されています。{seconds}秒後に再度お試しください。',
    'conn.connecting': '接続中…',
    'conn.open': '接続済み',
    'conn.reconnecting': '接続が切れました。{seconds}秒後に再接続します…',
    'conn.failed': 'サインアウトしました: {message}',
    'conn.lost': 'サーバの応答前に接続が切れました。再送する前に結果を確認してください。',
    'nav.sections': 'セクション',
    'nav.inbox': '受信箱',
    'nav.tasks': '課題',
    'nav.nodes': 'ノード',
    'nav.timeline': 'タイムライン',
    'nav.control': '演習',
    'nav.teams': 'チーム',
    'nav.scoreboard': 'スコアボード',
    'nav.reports': '報告書',
    'nav.events': 'イベント',
    'logout': '退出',
    'team.label': 'チーム {team}',
    'score.label': '得点',
    'score.points': '{points}点',
    'score.penalties': '減点 {points}',
    'phase.label': '演習',
    'phase.ready': '開始前',
    'phase.running': '実施中',
    'phase.paused': '一時停止中',
    'phase.ended': '終了',
    'phase.closed.ready': '演習はまだ開始されていません。回答・報告・ヒントは開始後に受け付けます。',
    'phase.closed.paused': '演習は一時停止中です。回答・報告・ヒントは再開後に受け付けます。',
    'phase.closed.ended': '演習は終了しました。回答・報告・ヒントはもう受け付けません。',
    'phase.closed.running': '演習が実施中ではありませんでした。もう一度お試しください。',
    'clock.label': '演習時間',
    'speed.value': '×{speed}',
    'inbox.empty': 'メッセージはまだありません。届くとここに表示されます。',
    'inbox.from': '差出人',
    'inbox.new': '新着',
    'inbox.attachment': '{name} をダウンロード({size})',
    'inbox.broadcast': '講師からのお知らせ',
    'tasks.empty': 'この演習には課題がありません。',
    'task.points': '{points}点',
    'task.kind.question': '設問',
    'task.kind.check': '対処',
    'task.kind.report': '報告',
    'task.check.help': 'システムの状態から自動的に採点されます。',
    'task.achieved': '達成',
    'task.not_achieved': '未達成',
    'answer.label': '回答',
    'answer.submit': '回答する',
    'answer.correct': '正解です: +{points}点',
    'answer.wrong': '不正解です。',
    'answer.recorded': '回答を受け付けました。',
    'answer.attempts_left': '残り{count}回回答できます。',
    'answer.attempt_left': '残り1回回答できます。',
    'answer.unlimited': '回答回数の制限はありません。',
    'answer.no_attempts': '回答回数の上限に達しました。',
    'answer.history': 'これまでの回答',
    'answer.by': '{text}({by})',
    'report.text': '報告内容',
    'report.file': 'ファイルを添付(任意、{size}まで)',
    'report.submit': '報告書を提出',
    'report.submitted': '報告書を提出しました。',
    'report.too_big': 'ファイル {name} は{size}を超えています。',
    'report.too_long': '報告内容と添付ファイルの合計が大きすぎて送信できません(64 KiBまで)。文章かファイルを短くしてください。',
    'report.empty': '報告内容を入力してください。',
    'report.rubric': '採点基準',
    'report.history': '提出済みの報告書',
    'report.grade': '{points} / {max}点',
    'report.ungraded': '未採点',
    'hint.take': 'ヒント{number}({cost}点減点)',
    'hint.taken': 'ヒント{number}',
    'hint.confirm.title': 'ヒントを見ますか?',
    'hint.confirm.text': 'このヒントを見るとチームの得点から{cost}点が引かれます。取り消せません。',
    'hint.confirm.ok': 'ヒントを見る',
    'dialog.cancel': 'キャンセル',
    'dialog.ok': 'OK',
    'nodes.empty': '表示できるノードはありません。',
    'accounts.title': 'アカウント',
    'accounts.help': '組織の利用者です。チームのノードにはこれらでログインします。',
    'accounts.help.instructor': '全チームの利用者とそのチームのパスワードです。',
    'account.name': 'ユーザー',
    'account.title': '担当',
    'account.password': 'パスワード',
    'account.sudo': 'sudo',
    'account.sudo.yes': '可',
    'account.sudo.no': '不可',
    'account.nodes': 'ノード',
    'node.name': 'ノード',
    'node.state': '状態',
    'node.state.running': '稼働中',
    'node.state.shut off': '停止',
    'node.state.crashed': 'クラッシュ',
    'node.state.unknown': '不明',
    'node.addresses': 'アドレス',
    'node.console.open': 'シリアルコンソールを開く',
    'node.console.close': 'コンソールを閉じる',
    'node.console.none': 'コンソールなし',
    'node.restart': '再起動',
    'node.restart.confirm.title': 'チーム{team}の{node}を再起動しますか?',
    'node.restart.confirm.text': 'ゲストの電源を切って再び起動します。保存されていない内容は失われます。',
    'node.revert': '初期化',
    'node.revert.confirm.title': 'チーム{team}の{node}をイメージの状態に戻しますか?',
    'node.revert.confirm.text': '新しいディスクで起動し直します。開始後にゲスト上で変更された内容はすべて失われます。',
    'console.label': '{node} のシリアルコンソール',
    'console.connected': '{node} のシリアルコンソールに接続しました。Enterキーでプロンプトが表示されます。',
    'console.closed': 'コンソールが閉じられました: {reason}',
    'console.reopening': 'コンソールに再接続しています…',
    'node.display.open': '画面を開く',
    'node.display.close': '画面を閉じる',
    'display.label': '{node} の画面',
    'display.connected': '{node} の画面に接続しました。',
    'display.closed': '画面が閉じられました: {reason}',
    'display.reopening': '画面に再接続しています…',
    'display.cad': 'Ctrl-Alt-Del',
    'display.cad.confirm.title': '{node} に Ctrl-Alt-Del を送りますか?',
    'display.cad.confirm.text': '実機のキーボードと同じく扱われます。多くのゲストは再起動するか、セキュリティ画面を表示します。',
    'display.fit': 'パネルに合わせる',
    'display.resize': 'ゲストの解像度をパネルに合わせる',
    'display.take': '操作する',
    'display.watch': '見るだけにする',
    'display.clipboard': 'クリップボード',
    'display.paste': 'ゲストに貼り付け',
    'timeline.empty': 'まだ何も起きていません。',
    'timeline.inbox': 'メッセージ: {subject}',
    'timeline.answer': '{by} が {objective} に回答: {text}',
    'timeline.answer.correct': '{by} が {objective} に正解',
    'timeline.report': '{by} が {objective} の報告書を提出',
    'timeline.grade': '{objective} 項目{item}: {points}点と採点',
    'timeline.hint': '{objective} のヒントを使用(−{cost})',
    'timeline.message': '講師: {text}',
    'timeline.exercise': '演習: {phase}',
    'control.start': '開始',
    'control.pause': '一時停止',
    'control.resume': '再開',
    'control.end': '終了',
    'control.end.confirm.title': '演習を終了しますか?',
    'control.end.confirm.text': '終了後はインジェクトは発生せず、回答も採点されません。',
    'control.speed': '速度',
    'control.speed.set': '速度を設定',
    'control.speed.invalid': '速度は0より大きく1000以下にしてください。',
    'broadcast.title': 'メッセージの一斉送信',
    'broadcast.text': 'メッセージ',
    'broadcast.team': '宛先',
    'broadcast.all': '全チーム',
    'broadcast.send': '送信',
    'broadcast.sent': '送信しました。',
    'codes.title': '参加コード',
    'codes.team': 'チーム',
    'codes.code': 'コード',
    'codes.members': 'メンバー',
    'codes.rotate': 'コードを再発行',
    'codes.rotate.confirm.title': 'チーム {team} の参加コードを再発行しますか?',
    'codes.rotate.confirm.text': '現在のコードはすぐに使えなくなります。参加済みのメンバーはそのまま参加を続けます。未参加の人には新しいコードを伝えてください。',
    'members.none': 'まだいません',
    'members.remove': '外す',
    'members.remove.confirm.title': '{name} をチーム {team} から外しますか?',
    'members.remove.confirm.text': 'そのメンバーの接続は閉じられ、サインアウトされます。再参加を防ぐには、チームのコードも再発行してください。',
    'teams.select': 'チーム',
    'injects.title': 'インジェクト',
    'injects.id': 'インジェクト',
    'injects.state': '状態',
    'injects.at': '時刻',
    'injects.why': '未発生の理由',
    'injects.actions': '操作',
    'inject.release': '発生させる',
    'inject.skip': 'スキップ',
    'inject.hold': '保留',
    'inject.unhold': '保留解除',
    'inject.release.confirm.title': 'チーム{team}に {inject} を発生させますか?',
    'inject.release.confirm.text': 'すぐに(一時停止中なら再開後すぐに)発生します。',
    'inject.skip.confirm.title': 'チーム{team}の {inject} をスキップしますか?',
    'inject.skip.confirm.text': 'このチームでは発生しなくなります。',
    'inject.retry': '再実行',
    'inject.retry.confirm.title': 'チーム{team}の {inject} を再実行しますか?',
    'inject.retry.confirm.text': 'すぐに(一時停止中なら再開後すぐに)もう一度実行します。失敗した実行がゲストに残したものはそのままです。',
    'alert.inject.failed': 'チーム{team}: インジェクト {inject} が {at} に失敗しました: {why}',
    'events.team': 'チームのイベント',
    'scoreboard.team': 'チーム',
    'scoreboard.total': '合計',
    'scoreboard.penalties': '減点',
    'scoreboard.chart': '得点の推移',
    'scoreboard.chart.desc': '各線は演習時間に対するチームの合計得点です。',
    'scoreboard.max': '満点 {max}',
    'scoreboard.minutes': '分',
    'reports.empty': '提出された報告書はまだありません。',
    'reports.item': '項目{item}: {text}(最大{points}点)',
    'reports.points': '点数',
    'reports.grade': '採点',
    'reports.graded': '採点しました。',
    'reports.attachment': '添付: {name}',
    'events.empty': 'イベントはまだありません。',
    'error.generic': 'サーバが拒否しました: {message}',
    'error.rate_limited': '要求が多すぎます。{seconds}秒後に再度お試しください。',
    'dismiss': '閉じる',
    'done': '完了しました。'
  }
};

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'ja', name: '日本語' }
];

const STORAGE_KEY = 'enshu:lang';
let current = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    /* storage disabled: follow the browser */
  }
  if (saved && STRINGS[saved]) return saved;
  const nav = (navigator.language || 'en').toLowerCase();
  return nav.startsWith('ja') ? 'ja' : 'en';
}

export function lang() {
  return current;
}

/* The text for key in the current language, {name} replaced from params.
 * A key missing in Japanese falls back to English, a missing key shows itself. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/* Fills every data-i18n* element under root with the current language. */
export function apply(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

/* Changes the language, remembers it and tells every listener. */
export function setLang(code) {
  if (!STRINGS[code] || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* not remembered: still switched for this page */
  }
  apply();
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/* A <select> of the languages, kept in step with setLang. */
export function languageSelect(select) {
  select.replaceChildren(
    ...LANGUAGES.map(({ code, name }) => {
      const o = document.createElement('option');
      o.value = code;
      o.textContent = name;
      o.lang = code;
      return o;
    })
  );
  select.value = current;
  select.addEventListener('change', () => setLang(select.value));
  onLangChange((code) => {
    select.value = code;
  });
}

/* Bytes as a short human size. */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/* Exercise milliseconds as T+h:mm:ss. */
export function formatClock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `T+${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}
