/* The programs run in guests through the agent, per dialect: their
 * argument vectors, the bytes of their input, their bounds and what they
 * refuse. The sh programs are also run here, on this machine's /bin/sh as
 * the agent would run them (as root's path: this test's own account), so
 * that what they do is checked and not only their text: a script that
 * looks for its own text with pgrep -f does not find itself, files come
 * out 0644, a bound kills the whole script. (On guests: e2e/exercise_run;
 * PowerShell cannot run here.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "guest_program.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* No argument of p holds needle. */
static void argv_lacks(const guest_program *p, const char *needle)
{
    for (size_t i = 0; p->argv[i]; i++)
        if (strstr(p->argv[i], needle))
            fail_msg("argument %zu holds '%s': %s", i, needle, p->argv[i]);
}

static size_t argc_of(const guest_program *p)
{
    size_t n = 0;
    while (p->argv[n])
        n++;
    return n;
}

/* Runs p here as the agent would: its input on stdin; stdout into out
 * (NUL-terminated, at most size - 1 bytes). Returns the wait status. */
static int run_here(const guest_program *p, char *out, size_t size)
{
    int in[2], res[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(res), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(res[1], 1);
        close(in[0]);
        close(in[1]);
        close(res[0]);
        close(res[1]);
        execv(p->argv[0], (char *const *)p->argv);
        _exit(127);
    }
    close(in[0]);
    close(res[1]);
    assert_int_equal(write(in[1], p->input, p->len), (ssize_t)p->len);
    close(in[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(res[0], out + got, size - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(res[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* ---- sh ---- */

static void sh_command_goes_on_input(void **state)
{
    (void)state;
    guest_program p;
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_SH, "alice", "pkill -f SECRET-42", 2500),
                     ENSHU_OK);
    assert_string_equal(p.argv[0], "/bin/sh");
    assert_string_equal(p.argv[1], "-c");
    assert_string_equal(p.argv[3], "sh");
    assert_string_equal(p.argv[5], "3"); /* 2.5 s, rounded up */
    assert_int_equal(argc_of(&p), 6);
    argv_lacks(&p, "SECRET-42");
    argv_lacks(&p, "alice");
    assert_int_equal(p.len, strlen("alice\npkill -f SECRET-42"));
    assert_memory_equal(p.input, "alice\npkill -f SECRET-42", p.len);
    assert_int_equal(p.wait_ms, 2500 + GUEST_PROGRAM_GRACE_MS);
    assert_int_equal(p.kill_ms, 0); /* the guest ends it */
    guest_program_fini(&p);

    /* Root, unbounded: an empty account line and no bound. */
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_SH, NULL, "id", 0), ENSHU_OK);
    assert_memory_equal(p.input, "\nid", 3);
    assert_string_equal(p.argv[5], "");
    assert_int_equal(p.wait_ms, 0);
    guest_program_fini(&p);
}

static void sh_refuses_newline_in_user(void **state)
{
    (void)state;
    guest_program p;
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_SH, "a\nb", "id", 1000), ENSHU_EINVAL);
    assert_null(p.input);
    guest_program_fini(&p);
}

/* The script looks for a piece of its own text and kills what matches:
 * nothing of it is on any command line, so it finds nothing and goes on. */
static void sh_script_does_not_match_itself(void **state)
{
    (void)state;
    const char *script = "pgrep -f 'UNIQUE-TEXT-0f3a' >/dev/null; echo found=$?\n"
                         "pkill -f 'UNIQUE-TEXT-0f3a'\n"
                         "echo still running\n";
    guest_program p;
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_SH, NULL, script, 20000), ENSHU_OK);
    char out[512];
    int status = run_here(&p, out, sizeof out);
    assert_true(WIFEXITED(status));
    assert_string_equal(out, "found=1\nstill running\n");
    guest_program_fini(&p);
}

/* umask 022 whatever the agent's: files 0644, directories 0755. The script
 * reads /dev/null, not the rest of the program's input; its last line
 * needs no newline; its exit status is the program's. */
static void sh_script_runs_as_after_a_login(void **state)
{
    (void)state;
    char dir[] = "/tmp/enshu-test-program-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *script = NULL;
    assert_true(asprintf(&script,
                         "umask; cd %s && mkdir d && touch d/f && cat; echo stdin=$?; "
                         "ls /proc/self/fd/9 >/dev/null && echo fd9; exit 3",
                         dir) > 0);
    mode_t old = umask(077);
    guest_program p;
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_SH, NULL, script, 20000), ENSHU_OK);
    char out[512];
    int status = run_here(&p, out, sizeof out);
    umask(old);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    assert_string_equal(out, "0022\nstdin=0\nfd9\n");
    char path[128];
    struct stat st;
    snprintf(path, sizeof path, "%s/d", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    snprintf(path, sizeof path, "%s/d/f", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    unlink(path);
    snprintf(path, sizeof path, "%s/d", dir);
    rmdir(path);
    rmdir(dir);
    free(script);
    guest_program_fini(&p);
}

/* The bound kills the script and what it started in its session: the
 * program ends with 137 long before the sleeps would. */
static void sh_bound_kills_the_whole_script(void **state)
{
    (void)state;
    guest_program p;
    assert_int_equal(
        guest_program_command(&p, IMAGE_EXEC_SH, NULL, "sleep 600 & sleep 600; echo never", 1000),
        ENSHU_OK);
    char out[64];
    int status = run_here(&p, out, sizeof out); /* returns once every writer of stdout is gone */
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 137);
    assert_string_equal(out, "");
    guest_program_fini(&p);
}

static void sh_write_puts_path_and_bytes_on_input(void **state)
{
    (void)state;
    guest_file f = {.path = "/home/alice/notes.txt",
                    .content = "a\0b",
                    .len = 3,
                    .mode = 0640,
                    .owner = "alice",
                    .group = NULL};
    guest_program p;
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_SH, NULL, &f), ENSHU_OK);
    argv_lacks(&p, "notes");
    static const char want[] = "\n640\nalice\n\n/home/alice/notes.txt\na\0b";
    assert_int_equal(p.len, sizeof want - 1);
    assert_memory_equal(p.input, want, p.len);
    assert_string_equal(p.argv[5], "30");
    guest_program_fini(&p);

    guest_file bad = f;
    bad.path = "/tmp/a\nb";
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_SH, NULL, &bad), ENSHU_EINVAL);
    bad = f;
    bad.owner = "a\nb";
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_SH, NULL, &bad), ENSHU_EINVAL);
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_SH, "x\n", &f), ENSHU_EINVAL);
}

static void sh_write_runs(void **state)
{
    (void)state;
    char dir[] = "/tmp/enshu-test-program-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], sub[128];
    snprintf(sub, sizeof sub, "%s/new", dir);
    snprintf(path, sizeof path, "%s/new/file", dir);
    guest_file f = {.path = path, .content = "x\ny\n\n", .len = 5, .mode = 0600};
    guest_program p;
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_SH, NULL, &f), ENSHU_OK);
    char out[64];
    int status = run_here(&p, out, sizeof out);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 5);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0755);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    guest_program_fini(&p);
}

static void sh_address_by_name(void **state)
{
    (void)state;
    guest_nic_address nics[] = {
        {.mac = "52:54:00:aa:bb:01", .ifname = "eth0", .addr = 0x0a010203, .prefix = 24},
        {.mac = "52:54:00:aa:bb:02", .ifname = "it's", .addr = 0x0a020203, .prefix = 16}};
    guest_program p;
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, nics, 2, 0x0a0102fe), ENSHU_OK);
    argv_lacks(&p, "10.1.2.3");
    argv_lacks(&p, "eth0");
    assert_string_equal(p.argv[5], "30");
    char *in = strndup(p.input, p.len);
    assert_string_equal(in, "\n"
                            "set -e\n"
                            "ip link set dev 'eth0' up\n"
                            "ip -4 addr flush dev 'eth0'\n"
                            "ip addr add 10.1.2.3/24 dev 'eth0'\n"
                            "ip link set dev 'it'\\''s' up\n"
                            "ip -4 addr flush dev 'it'\\''s'\n"
                            "ip addr add 10.2.2.3/16 dev 'it'\\''s'\n"
                            "ip route replace default via 10.1.2.254\n"
                            "rm -f /etc/resolv.conf\n"
                            "printf 'nameserver %s\\n' 10.1.2.254 >/etc/resolv.conf\n");
    free(in);
    guest_program_fini(&p);

    /* Without a gateway: no route, resolv.conf left alone. */
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, nics, 1, 0), ENSHU_OK);
    in = strndup(p.input, p.len);
    assert_null(strstr(in, "route"));
    assert_null(strstr(in, "resolv"));
    free(in);
    guest_program_fini(&p);

    guest_nic_address bad = nics[0];
    bad.ifname = "eth\n0";
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, &bad, 1, 0), ENSHU_EINVAL);
    bad.ifname = NULL;
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, &bad, 1, 0), ENSHU_EINVAL);
    bad = nics[0];
    bad.mac = "52:54:00:aa:bb";
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, &bad, 1, 0), ENSHU_EINVAL);
    bad.mac = "52:54:00:aa:bb:0'";
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, &bad, 1, 0), ENSHU_EINVAL);
    bad = nics[0];
    bad.prefix = 33;
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_SH, &bad, 1, 0), ENSHU_EINVAL);
}

/* ---- powershell ---- */

static void ps_command_goes_on_input(void **state)
{
    (void)state;
    guest_program p;
    const char *script = "Get-Process | Where-Object { $_.Name -eq 'SECRET' }\r\nexit 4\n";
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_POWERSHELL, NULL, script, 60000),
                     ENSHU_OK);
    const char *want[] = {"powershell.exe",   "-NoProfile", "-NonInteractive",
                          "-ExecutionPolicy", "Bypass",     "-Command"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(p.argv[i], want[i]);
    assert_int_equal(argc_of(&p), 7);
    argv_lacks(&p, "SECRET");
    /* Windows command lines would have to escape double quotes. */
    argv_lacks(&p, "\"");
    assert_non_null(strstr(p.argv[6], "ReadToEnd()"));
    assert_non_null(strstr(p.argv[6], "[scriptblock]::Create"));
    assert_int_equal(p.len, strlen(script));
    assert_memory_equal(p.input, script, p.len);
    assert_int_equal(p.kill_ms, 60000);
    assert_int_equal(p.wait_ms, 60000 + GUEST_PROGRAM_GRACE_MS);
    guest_program_fini(&p);
}

static void ps_refuses_users_and_no_bound(void **state)
{
    (void)state;
    guest_program p;
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_POWERSHELL, "alice", "dir", 1000),
                     ENSHU_EINVAL);
    assert_int_equal(guest_program_command(&p, IMAGE_EXEC_POWERSHELL, NULL, "dir", 0),
                     ENSHU_EINVAL);
    guest_file f = {.path = "/x", .content = "", .len = 0, .mode = 0644, .group = "g"};
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_POWERSHELL, NULL, &f), ENSHU_EINVAL);
    f.group = NULL;
    f.owner = "o";
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_POWERSHELL, NULL, &f), ENSHU_EINVAL);
    f.owner = NULL;
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_POWERSHELL, "u", &f), ENSHU_EINVAL);
    f.path = "/a\nb";
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_POWERSHELL, NULL, &f), ENSHU_EINVAL);
}

static void ps_write_as_script(void **state)
{
    (void)state;
    guest_file f = {.path = "/Users/Public/it's.txt", .content = "hi\n", .len = 3, .mode = 0644};
    guest_program p;
    assert_int_equal(guest_program_write(&p, IMAGE_EXEC_POWERSHELL, NULL, &f), ENSHU_OK);
    argv_lacks(&p, "Public");
    char *in = strndup(p.input, p.len);
    assert_non_null(strstr(in, "$p='/Users/Public/it''s.txt'\n"));
    assert_non_null(strstr(in, "[Convert]::FromBase64String('aGkK')"));
    assert_non_null(strstr(in, "New-Item -ItemType Directory -Force"));
    free(in);
    assert_int_equal(p.kill_ms, GUEST_PROGRAM_SHORT_BOUND_MS);
    guest_program_fini(&p);
}

static void ps_address_by_mac(void **state)
{
    (void)state;
    guest_nic_address nics[] = {{.mac = "52:54:00:aa:bb:0c", .addr = 0x0a010203, .prefix = 24},
                                {.mac = "52:54:00:aa:bb:0d", .addr = 0x0a020203, .prefix = 16}};
    guest_program p;
    assert_int_equal(guest_program_address(&p, IMAGE_EXEC_POWERSHELL, nics, 2, 0x0a0102fe),
                     ENSHU_OK);
    argv_lacks(&p, "10.1.2.3");
    assert_string_equal(p.argv[0], "powershell.exe");
    char *in = strndup(p.input, p.len);
    assert_non_null(strstr(in, "$_.MacAddress -eq '52-54-00-AA-BB-0C'"));
    assert_non_null(strstr(in, "$_.MacAddress -eq '52-54-00-AA-BB-0D'"));
    /* The gateway and name server on the NIC whose subnet holds it, only. */
    assert_non_null(strstr(in, "-IPAddress 10.1.2.3 -PrefixLength 24 -DefaultGateway 10.1.2.254 "
                               "| Out-Null\nSet-DnsClientServerAddress -InterfaceIndex "
                               "$a.ifIndex -ServerAddresses 10.1.2.254\n"));
    assert_non_null(strstr(in, "-IPAddress 10.2.2.3 -PrefixLength 16 | Out-Null\n"));
    assert_non_null(strstr(in, "-Dhcp Disabled"));
    char *first = strstr(in, "DefaultGateway");
    assert_null(strstr(first + 1, "DefaultGateway"));
    free(in);
    guest_program_fini(&p);
}

static void ps_kill_by_pid(void **state)
{
    (void)state;
    const char *argv[8];
    char digits[24];
    guest_program_kill(4242, argv, digits);
    const char *want[] = {"taskkill.exe", "/F", "/T", "/PID", "4242"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[5]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sh_command_goes_on_input),
        cmocka_unit_test(sh_refuses_newline_in_user),
        cmocka_unit_test(sh_script_does_not_match_itself),
        cmocka_unit_test(sh_script_runs_as_after_a_login),
        cmocka_unit_test(sh_bound_kills_the_whole_script),
        cmocka_unit_test(sh_write_puts_path_and_bytes_on_input),
        cmocka_unit_test(sh_write_runs),
        cmocka_unit_test(sh_address_by_name),
        cmocka_unit_test(ps_command_goes_on_input),
        cmocka_unit_test(ps_refuses_users_and_no_bound),
        cmocka_unit_test(ps_write_as_script),
        cmocka_unit_test(ps_address_by_mac),
        cmocka_unit_test(ps_kill_by_pid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
