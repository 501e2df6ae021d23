/*
 * UDP input, for logging.handlers.DatagramHandler: every datagram is one
 * frame (the same 4-byte length prefix and payload), so a datagram whose
 * prefix does not match its size is rejected on its own.
 */
#ifndef LC_UDP_H
#define LC_UDP_H

#include <stdint.h>

struct acl;
struct event_base;
struct intake;
struct udp;

/* Datagrams from peers the acl does not allow are ignored and counted. */
struct udp *udp_bind(struct event_base *base, const char *text, struct intake *intake,
    uint32_t max_record, const struct acl *acl);
struct udp *udp_adopt(struct event_base *base, int fd, struct intake *intake,
    uint32_t max_record, const struct acl *acl);
void udp_pause(struct udp *u, int paused);
/* Take what the kernel holds, then close (the stop). */
void udp_drain_and_free(struct udp *u);

#endif
