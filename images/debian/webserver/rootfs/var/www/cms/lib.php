<?php
/*
 * The organisation's small CMS: settings (config.ini), the admin session,
 * pages (pages/SLUG.json: title, body, updated) and uploads
 * (/var/www/html/uploads). Every login attempt goes to syslog (facility
 * auth, tag "cms") with the user name and the client's address.
 */
const CMS_DIR = __DIR__;
const UPLOAD_DIR = '/var/www/html/uploads';

function cms_config(): array
{
    $c = @parse_ini_file(CMS_DIR . '/config.ini');
    return is_array($c) ? $c : [];
}

function h(string $s): string
{
    return htmlspecialchars($s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

function cms_log(int $priority, string $message): void
{
    openlog('cms', LOG_PID, LOG_AUTH);
    syslog($priority, $message);
    closelog();
}

function session_begin(): void
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        session_name('CMSSESSID');
        session_set_cookie_params(['httponly' => true, 'samesite' => 'Lax']);
        session_start();
    }
}

function logged_in(): bool
{
    session_begin();
    return isset($_SESSION['user']);
}

/* Checks a login; logs it either way; opens the session on success. */
function login(string $user, string $password): bool
{
    $c = cms_config();
    $from = $_SERVER['REMOTE_ADDR'] ?? '-';
    $clean = preg_replace('/[^\x21-\x7e]/', '?', $user);
    $ok = isset($c['admin_user'], $c['admin_password']) && hash_equals((string)$c['admin_user'], $user) &&
          hash_equals((string)$c['admin_password'], $password);
    if ($ok) {
        session_begin();
        session_regenerate_id(true);
        $_SESSION['user'] = $user;
        $_SESSION['token'] = bin2hex(random_bytes(16));
        cms_log(LOG_NOTICE, "login ok: user=$clean from=$from");
    } else {
        cms_log(LOG_WARNING, "login failed: user=$clean from=$from");
    }
    return $ok;
}

function require_login(): void
{
    if (!logged_in()) {
        header('Location: /admin/login.php');
        exit;
    }
}

function check_token(): void
{
    if (!hash_equals($_SESSION['token'] ?? '', $_POST['token'] ?? '')) {
        http_response_code(400);
        exit('Bad request');
    }
}

function valid_slug(string $slug): bool
{
    return (bool)preg_match('/^[a-z0-9][a-z0-9-]{0,63}$/', $slug);
}

/* All pages, newest first: [slug => [title, body, updated]]. */
function pages(): array
{
    $out = [];
    foreach (glob(CMS_DIR . '/pages/*.json') ?: [] as $f) {
        $p = json_decode((string)file_get_contents($f), true);
        if (is_array($p))
            $out[basename($f, '.json')] = $p;
    }
    uasort($out, fn($a, $b) => strcmp($b['updated'] ?? '', $a['updated'] ?? ''));
    return $out;
}

function page(string $slug): ?array
{
    if (!valid_slug($slug) || !is_file(CMS_DIR . "/pages/$slug.json"))
        return null;
    $p = json_decode((string)file_get_contents(CMS_DIR . "/pages/$slug.json"), true);
    return is_array($p) ? $p : null;
}

function save_page(string $slug, string $title, string $body): bool
{
    if (!valid_slug($slug))
        return false;
    $p = ['title' => $title, 'body' => $body, 'updated' => date('c')];
    return file_put_contents(CMS_DIR . "/pages/$slug.json", json_encode($p, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE)) !== false;
}

function layout_top(string $title): void
{
    $site = h(cms_config()['site_name'] ?? 'Our site');
    echo "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" . h($title) . " - $site</title>\n";
    echo "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em}";
    echo "header a{margin-right:1em}table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ccc}</style>\n";
    echo "</head><body><header><strong>$site</strong> <a href=\"/\">Home</a> <a href=\"/admin/\">Admin</a></header>\n";
}

function layout_bottom(): void
{
    echo "</body></html>\n";
}
