/*
 * Project error codes: functions return 0 on success or one of these
 * (negative). The message has already been reported where the error
 * happened; callers only pass the code up.
 */
#ifndef ENSHU_ERRORS_H
#define ENSHU_ERRORS_H

enum {
    ENSHU_OK = 0,
    ENSHU_EINVAL = -1,    /* bad input */
    ENSHU_EIO = -2,       /* file or database */
    ENSHU_ELIBVIRT = -3,  /* a libvirt call failed */
    ENSHU_ETIMEOUT = -4,  /* something did not happen in time */
    ENSHU_ECAPACITY = -5, /* hosts cannot take the teams */
    ENSHU_EBUSY = -6,     /* another enshu works on the same range */
    ENSHU_EAGENT = -7,    /* the guest agent failed */
    ENSHU_ENOTFOUND = -8,
    ENSHU_EEXIST = -9,  /* it was done already (an idempotence key was seen) */
    ENSHU_EPHASE = -10, /* not in the exercise's phase now (before STARTEX, paused, ended) */
};

#endif
