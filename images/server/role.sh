# Server: system log, busybox httpd on port 80 serving /var/www as www-data,
# its requests logged to /var/log/httpd/access.log, and the office file share
# on port 8080 serving /data/share, its /confidential part behind the staff
# account's password (run as root: it reads /etc/shadow at every login).
syslogd
mkdir -p /var/log/httpd
chown www-data:www-data /var/log/httpd
httpd -f -vv -p 80 -h /var/www -u www-data:www-data 2>>/var/log/httpd/access.log &
chmod 0600 /etc/shadow
if [ -d /data/share ]; then
  httpd -f -vv -p 8080 -h /data/share -c /etc/httpd-share.conf 2>>/var/log/httpd/share.log &
fi
