<?php
/* The admin area: the page list, editing a page, uploading a file into
 * /uploads/ (any file, kept under its own name, as small CMSs do). */
require '/var/www/cms/lib.php';
require_login();
$msg = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    check_token();
    $action = $_POST['action'] ?? '';
    if ($action === 'save') {
        $slug = (string)($_POST['slug'] ?? '');
        $msg = save_page($slug, (string)($_POST['title'] ?? ''), (string)($_POST['body'] ?? ''))
            ? "Page $slug saved." : 'The page name may hold only a-z, 0-9 and -.';
        cms_log(LOG_INFO, "page saved: slug=" . preg_replace('/[^a-z0-9-]/', '?', $slug) . " user={$_SESSION['user']} from={$_SERVER['REMOTE_ADDR']}");
    } elseif ($action === 'upload' && isset($_FILES['file']) && $_FILES['file']['error'] === UPLOAD_ERR_OK) {
        $name = basename((string)$_FILES['file']['name']);
        if ($name === '' || $name[0] === '.') {
            $msg = 'Bad file name.';
        } elseif (move_uploaded_file($_FILES['file']['tmp_name'], UPLOAD_DIR . '/' . $name)) {
            $msg = "Uploaded /uploads/$name.";
            cms_log(LOG_INFO, "file uploaded: name=" . preg_replace('/[^\x21-\x7e]/', '?', $name) . " user={$_SESSION['user']} from={$_SERVER['REMOTE_ADDR']}");
        } else {
            $msg = 'The upload failed.';
        }
    } else {
        $msg = 'Nothing done.';
    }
}
$edit = page((string)($_GET['edit'] ?? '')) ?? ['title' => '', 'body' => ''];
$token = h($_SESSION['token']);
layout_top('Admin');
?>
<h1>Administration</h1>
<p>Logged in as <?= h($_SESSION['user']) ?>. <a href="/admin/logout.php">Log out</a></p>
<?php if ($msg) echo '<p><strong>' . h($msg) . "</strong></p>\n"; ?>
<h2>Pages</h2>
<table><tr><th>Page</th><th>Title</th><th>Updated</th></tr>
<?php foreach (pages() as $s => $p): ?>
<tr><td><a href="/admin/?edit=<?= h($s) ?>"><?= h($s) ?></a></td><td><?= h($p['title']) ?></td><td><?= h($p['updated'] ?? '') ?></td></tr>
<?php endforeach; ?>
</table>
<h2>Edit a page</h2>
<form method="post" action="/admin/">
<input type="hidden" name="token" value="<?= $token ?>"><input type="hidden" name="action" value="save">
<p><label>Name <input name="slug" value="<?= h((string)($_GET['edit'] ?? '')) ?>"></label>
<label>Title <input name="title" value="<?= h($edit['title']) ?>"></label></p>
<p><textarea name="body" rows="8" cols="70"><?= h($edit['body']) ?></textarea></p>
<p><button>Save</button></p>
</form>
<h2>Upload a file</h2>
<form method="post" action="/admin/" enctype="multipart/form-data">
<input type="hidden" name="token" value="<?= $token ?>"><input type="hidden" name="action" value="upload">
<p><input type="file" name="file"> <button>Upload</button></p>
</form>
<h2>Uploaded files</h2>
<ul>
<?php foreach (glob(UPLOAD_DIR . '/*') ?: [] as $f): ?>
<li><a href="/uploads/<?= h(rawurlencode(basename($f))) ?>"><?= h(basename($f)) ?></a></li>
<?php endforeach; ?>
</ul>
<?php layout_bottom();
