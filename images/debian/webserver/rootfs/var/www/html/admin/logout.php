<?php
/* Ends the admin session. */
require '/var/www/cms/lib.php';
session_begin();
$_SESSION = [];
session_destroy();
header('Location: /admin/login.php');
