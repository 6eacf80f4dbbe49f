/*
 * enshu passwd: sets the instructor console's password. Only its Argon2id
 * hash is kept ($ENSHU_STATE_DIR/instructor.pwhash).
 */
#include "cli.h"
#include "console_auth.h"
#include "errors.h"

#include <sodium.h>

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu passwd [--generate]\n"
    "\n"
    "Sets the password of the instructor console. The new password is read from\n"
    "standard input (one line; typed without echo on a terminal). Only its hash\n"
    "(Argon2id) is kept, in $ENSHU_STATE_DIR/instructor.pwhash.\n"
    "\n"
    "Options:\n"
    "  --generate   make a random password, set it and print it once\n"
    "\n"
    "Exit status: 0 set, 1 failure, 2 usage error.\n";

/* One line from stdin without its newline; no echo on a terminal. */
static int read_password(char *buf, size_t cap)
{
    struct termios saved, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        fputs("new instructor password: ", stderr);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = fgets(buf, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (!line)
        return ENSHU_EINVAL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return ENSHU_OK;
}

int cmd_passwd(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    bool generate = argc == 2 && strcmp(argv[1], "--generate") == 0;
    if (argc > 2 || (argc == 2 && !generate)) {
        fprintf(stderr, "enshu passwd: unexpected argument '%s' (try --help)\n", argv[1]);
        return CLI_USAGE;
    }
    if (console_auth_init() != ENSHU_OK)
        return CLI_FAIL;
    char password[256];
    if (generate) {
        static const char ALPHABET[] = "abcdefghijkmnpqrstuvwxyz23456789";
        for (int i = 0; i < 16; i++)
            password[i] = ALPHABET[randombytes_uniform(sizeof ALPHABET - 1)];
        password[16] = '\0';
    } else if (read_password(password, sizeof password) != ENSHU_OK || strlen(password) < 8) {
        fprintf(stderr, "enshu passwd: give a password of at least 8 characters on standard "
                        "input\n");
        sodium_memzero(password, sizeof password);
        return CLI_FAIL;
    }
    int rc = instructor_password_set(password);
    if (rc == ENSHU_OK && generate)
        printf("instructor password: %s\n", password);
    else if (rc == ENSHU_OK)
        puts("the instructor password is set");
    sodium_memzero(password, sizeof password);
    return rc == ENSHU_OK ? CLI_OK : CLI_FAIL;
}
