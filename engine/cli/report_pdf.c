/*
 * Printing the HTML report to PDF with headless Chromium (report_pdf.h).
 * Chromium gets a private temporary folder for the page and its profile, so
 * it touches nothing of the user's and two prints never share a profile;
 * what it says goes to a log there, shown only when it fails.
 */
#include "report_pdf.h"

#include "alloc.h"
#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PRINT_LIMIT_MS (120 * 1000)

static bool executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *report_pdf_chromium(void)
{
    const char *given = getenv("ENSHU_CHROMIUM");
    if (given && strchr(given, '/'))
        return executable(given) ? xstrdup(given) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    const char *const defaults[] = {"chromium", "chromium-browser"};
    const char *const *names = given && *given ? &given : defaults;
    size_t count = given && *given ? 1 : 2;
    for (size_t n = 0; n < count; n++) {
        char *copy = xstrdup(path), *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            char *candidate = xasprintf("%s/%s", dir, names[n]);
            if (executable(candidate)) {
                free(copy);
                return candidate;
            }
            free(candidate);
        }
        free(copy);
    }
    return NULL;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return ENSHU_EIO;
    size_t wrote = fwrite(data, 1, len, f);
    return fclose(f) == 0 && wrote == len ? ENSHU_OK : ENSHU_EIO;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The last lines of Chromium's log, for the error message. */
static void show_log(const char *log_path)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return;
    char line[512], tail[4][512] = {{0}};
    int n = 0;
    while (fgets(line, sizeof line, f))
        snprintf(tail[n++ % 4], sizeof tail[0], "%s", line);
    fclose(f);
    for (int i = n > 4 ? n - 4 : 0; i < n; i++)
        fprintf(stderr, "  %s", tail[i % 4]);
}

static void remove_tree(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int report_pdf_print(const char *chromium, const char *html, size_t len, const char *pdf_path)
{
    char dir[] = "/tmp/enshu-report-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "enshu report: cannot make a temporary folder: %s\n", strerror(errno));
        return ENSHU_EIO;
    }
    char *page = xasprintf("%s/report.html", dir);
    char *pdf = xasprintf("%s/report.pdf", dir);
    char *log_path = xasprintf("%s/chromium.log", dir);
    char *print_arg = xasprintf("--print-to-pdf=%s", pdf);
    char *profile_arg = xasprintf("--user-data-dir=%s/profile", dir);
    char *url = xasprintf("file://%s", page);
    int rc = write_file(page, html, len);
    if (rc != ENSHU_OK) {
        fprintf(stderr, "enshu report: cannot write %s\n", page);
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "enshu report: cannot start %s: %s\n", chromium, strerror(errno));
        rc = ENSHU_EIO;
        goto out;
    }
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        /* Its own process group, so a print that overruns is ended whole. */
        setpgid(0, 0);
        execl(chromium, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--disable-extensions", "--disable-background-networking", "--disable-sync",
              "--no-pdf-header-footer", "--print-to-pdf-no-header", profile_arg, print_arg, url,
              (char *)NULL);
        _exit(127);
    }
    int status = 0;
    int64_t deadline = now_ms() + PRINT_LIMIT_MS;
    pid_t done;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (done == 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fprintf(stderr, "enshu report: %s did not print the report within %d s\n", chromium,
                PRINT_LIMIT_MS / 1000);
        rc = ENSHU_ETIMEOUT;
        goto out;
    }
    struct stat st;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(pdf, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, "enshu report: %s printed no PDF (exit status %d); it said:\n", chromium,
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        show_log(log_path);
        rc = ENSHU_EIO;
        goto out;
    }
    /* Copied, not renamed: the output may be on another file system. */
    FILE *in = fopen(pdf, "rb"), *to = strcmp(pdf_path, "-") ? fopen(pdf_path, "wb") : stdout;
    if (!in || !to) {
        fprintf(stderr, "enshu report: cannot write %s: %s\n", pdf_path, strerror(errno));
        rc = ENSHU_EIO;
    } else {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, n, to) != n)
                rc = ENSHU_EIO;
        if ((to == stdout ? fflush(to) : fclose(to)) != 0)
            rc = ENSHU_EIO;
        to = NULL;
        if (rc != ENSHU_OK)
            fprintf(stderr, "enshu report: cannot write %s\n", pdf_path);
    }
    if (in)
        fclose(in);
    if (to && to != stdout)
        fclose(to);
out:
    remove_tree(dir);
    free(page);
    free(pdf);
    free(log_path);
    free(print_arg);
    free(profile_arg);
    free(url);
    return rc;
}
