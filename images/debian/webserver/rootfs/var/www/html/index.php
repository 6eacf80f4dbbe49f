<?php
/* The public site: the page list, or one page (?p=SLUG). */
require '/var/www/cms/lib.php';
$slug = $_GET['p'] ?? '';
if ($slug !== '') {
    $p = page($slug);
    if (!$p) {
        http_response_code(404);
        layout_top('Not found');
        echo "<p>No such page.</p>";
        layout_bottom();
        exit;
    }
    layout_top($p['title']);
    echo '<h1>' . h($p['title']) . "</h1>\n" . $p['body'] . "\n";
    echo '<p><small>Updated ' . h($p['updated'] ?? '') . "</small></p>\n";
    layout_bottom();
    exit;
}
layout_top('Home');
echo "<h1>Pages</h1>\n<ul>\n";
foreach (pages() as $s => $p)
    echo '<li><a href="/?p=' . h($s) . '">' . h($p['title']) . "</a></li>\n";
echo "</ul>\n";
layout_bottom();
