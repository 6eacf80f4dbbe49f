<?php
/* The admin login form. Every attempt is logged (lib.php: login). */
require '/var/www/cms/lib.php';
$error = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    if (login((string)($_POST['user'] ?? ''), (string)($_POST['password'] ?? ''))) {
        header('Location: /admin/');
        exit;
    }
    http_response_code(403);
    $error = 'Wrong user name or password.';
}
layout_top('Log in');
?>
<h1>Administration</h1>
<?php if ($error) echo '<p style="color:#b00">' . h($error) . "</p>\n"; ?>
<form method="post" action="/admin/login.php">
<p><label>User <input name="user" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
<p><button>Log in</button></p>
</form>
<?php layout_bottom();
