#!/bin/bash
# Fileserver image, run inside the chroot after base/setup.sh: the shared
# folder with its departments and documents, the users' personal folders,
# the backup location with a first snapshot, and the services enabled.
set -euo pipefail

share=/srv/share
install -d -m 2775 -o root -g users "$share"
for d in Accounting GeneralAffairs IT Common; do
  install -d -m 2775 -o root -g users "$share/$d"
done

# Documents: fixed content (the recipe hash decides rebuilds), dated in the
# weeks before the build like the work of a real office.
doc() { # doc PATH DAYS_AGO < content
  cat >"$share/$1"
  touch -d "@$(($(date +%s) - $2 * 86400 - RANDOM % 30000))" "$share/$1"
}
RANDOM=10
Y=$(date +%Y)
Y1=$((Y + 1))

doc Accounting/${Y}年度_部門別予算.csv 40 <<CSV
部門,科目,4月,5月,6月,7月,8月,9月,上期合計
経理部,人件費,2150000,2150000,2150000,2200000,2200000,2200000,13050000
経理部,消耗品費,38000,41500,29800,35200,30100,44800,219400
総務部,人件費,1980000,1980000,1980000,1980000,2010000,2010000,11940000
総務部,賃借料,850000,850000,850000,850000,850000,850000,5100000
総務部,水道光熱費,126400,118900,131200,162800,171500,140300,851100
情報システム部,人件費,1420000,1420000,1420000,1450000,1450000,1450000,8610000
情報システム部,通信費,96000,96000,96000,98500,98500,98500,583500
情報システム部,ソフトウェア保守,310000,0,0,310000,0,0,620000
CSV
doc Accounting/経費精算_${Y}-11.csv 12 <<CSV
申請日,社員番号,氏名,部門,内容,金額,承認者,状態
${Y}-11-04,E1024,佐藤 花子,総務部,来客用茶菓子,3240,鈴木 一郎,承認済
${Y}-11-06,E1031,高橋 健太,情報システム部,LANケーブル(Cat6 5m x4),5280,田中 美咲,承認済
${Y}-11-10,E1007,Alice Tanaka,経理部,印紙代,2000,鈴木 一郎,承認済
${Y}-11-12,E1042,渡辺 翔,営業部,顧客訪問 交通費(新宿-横浜),1260,山本 達也,承認済
${Y}-11-18,E1031,高橋 健太,情報システム部,USBメモリ 64GB,1980,田中 美咲,差戻し
${Y}-11-20,E1015,伊藤 直子,総務部,防災用品(非常食),18700,鈴木 一郎,申請中
${Y}-11-25,E1042,渡辺 翔,営業部,会食費,24800,山本 達也,申請中
CSV
doc Accounting/invoices_${Y}-Q4.csv 6 <<CSV
invoice_no,issued,customer,amount_jpy,tax_jpy,due,status
INV-${Y}-1041,${Y}-10-03,Kanto Logistics Co.,480000,48000,${Y}-10-31,paid
INV-${Y}-1042,${Y}-10-10,Minato Trading Ltd.,1250000,125000,${Y}-11-30,paid
INV-${Y}-1043,${Y}-10-24,Sakura Foods Inc.,96000,9600,${Y}-11-30,paid
INV-${Y}-1044,${Y}-11-07,Kanto Logistics Co.,480000,48000,${Y}-12-31,open
INV-${Y}-1045,${Y}-11-21,Aoba Clinic,315000,31500,${Y}-12-31,open
INV-${Y}-1046,${Y}-12-01,Minato Trading Ltd.,1250000,125000,${Y1}-01-31,open
CSV
doc Accounting/振込先一覧.csv 25 <<CSV
取引先,銀行,支店,種別,口座番号,名義
関東ロジスティクス株式会社,みなと銀行,本店営業部,普通,1234567,カントウロジスティクス(カ
有限会社アオバ印刷,さくら信用金庫,駅前支店,当座,7654321,ユ)アオバインサツ
株式会社ミナト商事,みなと銀行,港南支店,普通,2468013,カ)ミナトシヨウジ
CSV
doc Accounting/memo_year_end_closing.txt 9 <<TXT
To: Accounting team
From: Alice
Subject: Year-end closing schedule

- Dec 19: last day for expense claims of this year.
- Dec 24: invoices to customers issued; check invoices_${Y}-Q4.csv for open items.
- Dec 26: bank reconciliation; the payee list is in 振込先一覧.csv (do not e-mail it outside).
- Jan 9: closing entries to the auditor.

Please keep working files in this folder; the server is backed up every night.
TXT

doc GeneralAffairs/社員名簿.csv 60 <<CSV
社員番号,氏名,フリガナ,部門,役職,内線,メール,入社日
E1001,鈴木 一郎,スズキ イチロウ,総務部,部長,201,suzuki@example.lan,2008-04-01
E1007,田中 アリス,タナカ アリス,経理部,主任,215,alice@example.lan,2016-04-01
E1012,小林 ボブ,コバヤシ ボブ,総務部,,204,bob@example.lan,2019-10-01
E1015,伊藤 直子,イトウ ナオコ,総務部,,205,ito@example.lan,2020-04-01
E1020,田中 美咲,タナカ ミサキ,情報システム部,課長,301,tanaka@example.lan,2012-04-01
E1024,佐藤 花子,サトウ ハナコ,総務部,,206,sato@example.lan,2021-04-01
E1028,中村 キャロル,ナカムラ キャロル,情報システム部,,305,carol@example.lan,2018-07-01
E1031,高橋 健太,タカハシ ケンタ,情報システム部,,306,takahashi@example.lan,2022-04-01
E1042,渡辺 翔,ワタナベ ショウ,営業部,,402,watanabe@example.lan,2023-04-01
CSV
doc GeneralAffairs/防災訓練のお知らせ.txt 14 <<TXT
全社員各位

                                                        総務部

            防災訓練の実施について

下記のとおり防災訓練を実施します。業務ご多忙のところ恐縮ですが、
全員ご参加ください。

  日時: 12月12日(金) 14:00〜14:45
  集合: 1階 正面玄関前
  内容: 避難経路の確認、消火器の使用方法、安否確認システムの操作

※ 当日は14:00にエレベーターを停止します。
※ 欠席する場合は前日までに総務部(内線204)へ連絡してください。

                                                              以上
TXT
doc GeneralAffairs/office_notice_${Y}-12.txt 3 <<TXT
Notice to all staff (General Affairs)

1. The office is closed from December 29 to January 3.
2. Parking permits for ${Y1} can be requested from Bob (ext. 204) until Dec 20.
3. Please return borrowed laptops and USB drives to IT before the holidays.
TXT

doc IT/asset_inventory.csv 30 <<CSV
asset_id,type,hostname,ip,user,os,purchased,notes
PC-0107,desktop,pc-alice,192.168.10.21,alice,Debian 12,2023-03-15,
PC-0112,desktop,pc-bob,192.168.10.22,bob,Debian 12,2023-03-15,
PC-0120,laptop,nb-carol,192.168.10.30,carol,Debian 12,2024-06-02,admin laptop
SV-0001,server,files,192.168.10.5,-,Debian 12,2022-11-01,file server + nightly backup 02:00
SV-0002,server,mail,192.168.10.6,-,Debian 12,2022-11-01,SMTP/IMAP
NW-0001,router,gw,192.168.10.1,-,nftables,2022-11-01,firewall / NAT
CSV
doc IT/情報セキュリティ運用ルール.txt 50 <<TXT
情報セキュリティ運用ルール(抜粋)                       情報システム部

1. パスワードは12文字以上とし、他のサービスと使い回さないこと。
2. 不審なメールの添付ファイルは開かず、情報システム部(内線305)へ転送すること。
3. 共有フォルダ(\\\\files\\share)の重要データは毎晩2時にバックアップされる。
   誤って削除した場合は情報システム部へ連絡すること。
4. 私物のUSBメモリを業務PCに接続しないこと。
TXT
doc IT/runbook_backup.txt 20 <<TXT
Backup runbook (file server "files")

- /srv/share is copied every night at 02:00 into /srv/backup/YYYY-MM-DD_HHMMSS
  (rsync snapshots; unchanged files are hard links to the previous snapshot).
- Take a snapshot by hand:   sudo enshu-backup
- Restore one file:          sudo cp -a /srv/backup/latest/PATH /srv/share/PATH
- Samba audit log:           /var/log/samba/audit.log
TXT

doc Common/社内報_${Y}-12.txt 5 <<TXT
社内報 12月号

■ 新しいメンバー
  営業部に渡辺 翔さんが加わりました。

■ 年末年始の休業
  12月29日から1月3日まで休業します。

■ 忘年会
  12月19日(金) 18:30〜 会場は後日メールでお知らせします。
TXT
doc Common/holiday_calendar_${Y1}.csv 5 <<CSV
date,name
${Y1}-01-01,元日 New Year's Day
${Y1}-02-11,建国記念の日 National Foundation Day
${Y1}-02-23,天皇誕生日 Emperor's Birthday
${Y1}-04-29,昭和の日 Showa Day
${Y1}-05-03,憲法記念日 Constitution Memorial Day
CSV

chown -R root:users "$share"
find "$share" -type f -exec chmod 0664 {} +

# Personal folders: created by enshu-user for the image's users; a file of
# their own in each, so the homes are not empty.
for home in /home/*/; do
  user=$(basename "$home")
  id "$user" >/dev/null 2>&1 || continue
  install -d -m 0700 -o "$user" -g "$user" "$home/Documents"
  printf 'Notes of %s\n\n- ask IT about the new printer\n- read the year-end closing memo in \\\\files\\share\\Accounting\n' "$user" >"$home/Documents/notes.txt"
  chown "$user:$user" "$home/Documents/notes.txt"
  chmod 0600 "$home/Documents/notes.txt"
done

install -d -m 0700 /srv/backup
/usr/local/sbin/enshu-backup >/dev/null

install -d -m 0750 -o root -g adm /var/log/samba
systemctl enable smbd.service enshu-backup.timer
systemctl disable nmbd.service samba-ad-dc.service 2>/dev/null || true
systemctl mask samba-ad-dc.service nmbd.service
