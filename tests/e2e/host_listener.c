/*
 * host_listener PORT SECONDS: a service on every address of the host, for
 * the guest-to-host test. Listens on TCP and UDP port PORT of all IPv4 and
 * IPv6 addresses (one dual-stack socket each) for SECONDS, then exits.
 *
 * Whoever reaches it gets an answer that cannot be mistaken: a TCP client
 * reads "enshu-listener", a UDP datagram is answered with a TFTP error
 * packet whose message is "enshu-listener" (busybox's tftp prints it).
 * Each contact is written to stdout as "tcp ADDRESS" or "udp ADDRESS", so
 * the test can also see what arrived one way. "ready PID" is printed once
 * both sockets listen, PID being the listener's own process id (a shell that
 * starts it in the background may stand in between).
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char BANNER[] = "enshu-listener\n";
/* TFTP ERROR (opcode 5), error code 1, message, NUL. */
static const char TFTP_ERROR[] = "\0\5\0\1enshu-listener";

static int listen_on(int type, unsigned port)
{
    int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int off = 0, on = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in6 a = {
        .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = in6addr_any};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        (type == SOCK_STREAM && listen(fd, 64) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

static void print_peer(const char *proto, const struct sockaddr_in6 *peer)
{
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET6, &peer->sin6_addr, text, sizeof text);
    /* IPv4 clients arrive as ::ffff:a.b.c.d: print a.b.c.d. */
    const char *shown = strncmp(text, "::ffff:", 7) == 0 && strchr(text, '.') ? text + 7 : text;
    printf("%s %s\n", proto, shown);
    fflush(stdout);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: host_listener PORT SECONDS\n");
        return 2;
    }
    unsigned port = (unsigned)strtoul(argv[1], NULL, 10);
    double seconds = strtod(argv[2], NULL);
    if (port == 0 || port > 65535 || !(seconds > 0 && seconds <= 3600)) {
        fprintf(stderr, "host_listener: PORT must be 1-65535 and SECONDS 1-3600\n");
        return 2;
    }
    int tcp = listen_on(SOCK_STREAM, port), udp = listen_on(SOCK_DGRAM, port);
    if (tcp < 0 || udp < 0) {
        fprintf(stderr, "host_listener: cannot listen on port %u: %s\n", port, strerror(errno));
        return 1;
    }
    printf("ready %ld\n", (long)getpid());
    fflush(stdout);
    double deadline = now_s() + seconds;
    for (double left; (left = deadline - now_s()) > 0;) {
        struct pollfd p[2] = {{.fd = tcp, .events = POLLIN}, {.fd = udp, .events = POLLIN}};
        int n = poll(p, 2, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR)
            return 1;
        struct sockaddr_in6 peer;
        socklen_t len = sizeof peer;
        if (n > 0 && (p[0].revents & POLLIN)) {
            int c = accept4(tcp, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
            if (c >= 0) {
                print_peer("tcp", &peer);
                (void)!write(c, BANNER, sizeof BANNER - 1);
                close(c);
            }
        }
        len = sizeof peer;
        if (n > 0 && (p[1].revents & POLLIN)) {
            char buf[1500];
            if (recvfrom(udp, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len) >= 0) {
                print_peer("udp", &peer);
                sendto(udp, TFTP_ERROR, sizeof TFTP_ERROR, 0, (struct sockaddr *)&peer, len);
            }
        }
    }
    close(tcp);
    close(udp);
    return 0;
}
