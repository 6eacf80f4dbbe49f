# Server: system log, and busybox httpd on port 80 serving /var/www as
# www-data, its requests logged to /var/log/httpd/access.log.
syslogd
mkdir -p /var/log/httpd
chown www-data:www-data /var/log/httpd
httpd -f -vv -p 80 -h /var/www -u www-data:www-data 2>>/var/log/httpd/access.log &
