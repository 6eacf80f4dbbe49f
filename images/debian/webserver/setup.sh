#!/bin/bash
# Web server: the CMS replaces Debian's default page; it writes its pages and
# uploads as www-data; Apache logs in combined format (Debian's default site).
set -euo pipefail
rm -f /var/www/html/index.html
install -d -m 0755 -o www-data -g www-data /var/www/html/uploads
chown -R www-data:www-data /var/www/cms/pages
chown root:www-data /var/www/cms/config.ini
chmod 0640 /var/www/cms/config.ini
grep -q 'CustomLog .*access.log combined' /etc/apache2/sites-available/000-default.conf
systemctl enable apache2.service
