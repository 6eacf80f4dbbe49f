/* The SMTP client program an inject's mail runs on its sender, run here by
 * the host's /bin/sh against a small SMTP server on loopback: the dialogue
 * it speaks, a server that refuses connections while it starts, and one
 * that never comes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "guest_mail.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct smtp_server {
    int fd; /* bound; listening only after listen_after_ms */
    int listen_after_ms;
    char received[4096]; /* the commands and the message, as the server read them */
    size_t len;
} smtp_server;

static void say(int fd, const char *line)
{
    ssize_t n = write(fd, line, strlen(line));
    (void)n;
}

/* Reads one line (up to LF) into the received log; false at the end. */
static bool read_line(smtp_server *sv, int fd, char *line, size_t cap)
{
    size_t n = 0;
    char c;
    while (read(fd, &c, 1) == 1) {
        if (n + 1 < cap)
            line[n++] = c;
        if (c == '\n') {
            line[n] = '\0';
            if (sv->len + n < sizeof sv->received) {
                memcpy(sv->received + sv->len, line, n);
                sv->len += n;
            }
            return true;
        }
    }
    return false;
}

static void *serve(void *arg)
{
    smtp_server *sv = arg;
    struct timespec pause = {sv->listen_after_ms / 1000, (sv->listen_after_ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
    if (listen(sv->fd, 4) != 0)
        return NULL;
    int c = accept(sv->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    char line[1024];
    say(c, "220 mail.example.lan ESMTP\r\n");
    bool data = false;
    while (read_line(sv, c, line, sizeof line)) {
        if (data) {
            if (!strcmp(line, ".\r\n")) {
                data = false;
                say(c, "250 2.0.0 Ok: queued as 4F2B1\r\n");
            }
        } else if (!strncmp(line, "EHLO", 4)) {
            say(c, "250-mail.example.lan\r\n250 8BITMIME\r\n");
        } else if (!strncmp(line, "DATA", 4)) {
            data = true;
            say(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
        } else if (!strncmp(line, "QUIT", 4)) {
            say(c, "221 2.0.0 Bye\r\n");
            break;
        } else {
            say(c, "250 2.1.0 Ok\r\n");
        }
    }
    close(c);
    return NULL;
}

/* A TCP socket bound to a free loopback port, not listening: connections
 * to it are refused until listen(). */
static int bound_socket(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Runs the client for a message to port with bound timeout_ms; its exit
 * status, stdout and stderr (malloc'd). */
static int run_client(unsigned port, int64_t timeout_ms, char **out, char **err)
{
    char dir[] = "/tmp/enshu-mail-client-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *msg = xasprintf("%s/message", dir);
    FILE *f = fopen(msg, "w");
    assert_non_null(f);
    fprintf(f,
            "127.0.0.1\n%u\nbilling@kumo-supply.example\nalice@example.lan\n"
            "Subject: Revised invoice\r\n\r\nHello\r\n.hidden dot\r\n",
            port);
    fclose(f);
    char *program = guest_mail_client_program(msg, timeout_ms);
    char *out_path = xasprintf("%s/out", dir), *err_path = xasprintf("%s/err", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr))
            _exit(127);
        execl("/bin/sh", "sh", "-c", program, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    size_t n;
    *out = NULL;
    *err = NULL;
    FILE *o = fopen(out_path, "r"), *e = fopen(err_path, "r");
    assert_non_null(o);
    assert_non_null(e);
    *out = xcalloc(8192, 1);
    n = fread(*out, 1, 8191, o);
    (*out)[n] = '\0';
    *err = xcalloc(8192, 1);
    n = fread(*err, 1, 8191, e);
    (*err)[n] = '\0';
    fclose(o);
    fclose(e);
    unlink(out_path);
    unlink(err_path);
    /* The client removes its message file itself. */
    assert_int_not_equal(access(msg, F_OK), 0);
    rmdir(dir);
    free(out_path);
    free(err_path);
    free(program);
    free(msg);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Sends the test message to a server that listens after listen_after_ms;
 * asserts that the client succeeded, and returns what the server read. */
static void send_to_server(smtp_server *sv)
{
    unsigned port;
    sv->fd = bound_socket(&port);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, serve, sv), 0);
    char *out, *err;
    int status = run_client(port, 20000, &out, &err);
    pthread_join(t, NULL);
    close(sv->fd);
    sv->received[sv->len] = '\0';
    assert_int_equal(status, 0);
    assert_string_equal(out, "250 2.0.0 Ok: queued as 4F2B1\n");
    free(out);
    free(err);
}

static void it_speaks_smtp_and_dot_stuffs_the_message(void **state)
{
    smtp_server sv = {.listen_after_ms = 0};
    send_to_server(&sv);
    assert_non_null(strstr(sv.received, "MAIL FROM:<billing@kumo-supply.example>\r\n"));
    assert_non_null(strstr(sv.received, "RCPT TO:<alice@example.lan>\r\n"));
    assert_non_null(strstr(sv.received, "\r\n..hidden dot\r\n.\r\nQUIT\r\n"));
}

static void a_server_that_refuses_while_it_starts_gets_the_message(void **state)
{
    /* Refused for 2 s; the client tries again for half of its 20 s bound. */
    smtp_server sv = {.listen_after_ms = 2000};
    send_to_server(&sv);
    assert_non_null(strstr(sv.received, "DATA\r\n"));
}

static void a_server_that_never_answers_is_named_with_the_refusal(void **state)
{
    unsigned port;
    int fd = bound_socket(&port);
    char *out, *err;
    int status = run_client(port, 4000, &out, &err);
    close(fd);
    assert_int_equal(status, 1);
    char *where = xasprintf("127.0.0.1:%u: the connection closed\n", port);
    assert_non_null(strstr(err, where));
    assert_non_null(strstr(err, "Connection refused"));
    assert_string_equal(out, "");
    free(where);
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(it_speaks_smtp_and_dot_stuffs_the_message),
        cmocka_unit_test(a_server_that_refuses_while_it_starts_gets_the_message),
        cmocka_unit_test(a_server_that_never_answers_is_named_with_the_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
