#!/bin/bash
# Mailserver image, run inside the chroot after base/setup.sh: the mail name,
# a Maildir in every new home, the organisation's aliases, a first message in
# each user's mailbox, and the services enabled.
set -euo pipefail

echo example.lan >/etc/mailname

# New accounts get ~/Maildir (enshu-user creates homes from /etc/skel).
install -d -m 0700 /etc/skel/Maildir /etc/skel/Maildir/cur /etc/skel/Maildir/new /etc/skel/Maildir/tmp

cat >/etc/aliases <<'ALIASES'
# Role addresses of example.lan: the IT administrator reads root's and
# postmaster's mail, General Affairs the public address.
postmaster: carol
root: carol
abuse: carol
info: bob
ALIASES
newaliases

# A welcome message from IT in every user's inbox, so that a mail client shows
# a real mailbox from the first login.
n=0
for home in /home/*/; do
  user=$(basename "$home")
  id "$user" >/dev/null 2>&1 || continue
  install -d -m 0700 -o "$user" -g "$user" "$home/Maildir" "$home/Maildir/cur" "$home/Maildir/new" "$home/Maildir/tmp"
  n=$((n + 1))
  now=$(date +%s)
  file="$home/Maildir/cur/$now.M${n}P$$.mail.example.lan:2,S"
  cat >"$file" <<MAIL
Return-Path: <carol@example.lan>
Delivered-To: $user@example.lan
Received: by mail.example.lan (Postfix, from userid 1000)
	id 4W$n$now; $(LC_ALL=C date -R -d "@$now")
From: IT Support <carol@example.lan>
To: $user@example.lan
Subject: =?UTF-8?B?$(printf 'メールアカウントのご案内 / Your mail account' | base64 -w0)?=
Date: $(LC_ALL=C date -R -d "@$now")
Message-ID: <welcome.$user.$now@example.lan>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

$user さん

メールアカウントを作成しました。
  メールアドレス: $user@example.lan
  受信 (IMAP): mail  ポート 143
  送信 (SMTP): mail  ポート 25
パスワードはログインのパスワードと同じです。
共有フォルダは \\\\files\\share です。

Your mail account is ready: $user@example.lan, IMAP and SMTP on the host
"mail". Your password is the one you log in with. The shared folder is
\\\\files\\share.

-- 
IT Support (ext. 305)
MAIL
  chown "$user:$user" "$file"
  chmod 0600 "$file"
done

systemctl enable postfix.service dovecot.service
