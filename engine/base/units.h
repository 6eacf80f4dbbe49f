/*
 * Parsing of the small value languages scenario files use: durations
 * ("90s", "5m", "1h30m"), memory sizes ("160M", "1G") and IPv4 networks
 * ("10.80.0.0/16"). Each returns 0 on success and -1 on malformed input.
 */
#ifndef ENSHU_UNITS_H
#define ENSHU_UNITS_H

#include <stdint.h>
#include <stddef.h>

int parse_duration_ms(const char *text, int64_t *out_ms) __attribute__((warn_unused_result));
int parse_size_mib(const char *text, uint64_t *out_mib) __attribute__((warn_unused_result));
int parse_ipv4(const char *text, uint32_t *out_addr) __attribute__((warn_unused_result));
int parse_ipv4_cidr(const char *text, uint32_t *out_addr, unsigned *out_prefix)
    __attribute__((warn_unused_result));

/* Writes a.b.c.d into buf (at least 16 bytes). */
void format_ipv4(uint32_t addr, char *buf);

/* Formats ms as "1h30m", "45s", "250ms" into buf. */
void format_duration(int64_t ms, char *buf, size_t size);

#endif
