#define _GNU_SOURCE
// The TLS side of rtsps:// cameras. FFmpeg 5.1's RTSP client opens its rtsps:// connection with no options, so
// its TLS layer never verifies the camera's certificate (tls_verify defaults to 0 and cannot be set): anyone on
// the path could read the credentials and feed a forged picture. Instead, Sightline makes the TLS connection
// itself with GnuTLS, verifying the chain (against the camera's `ca` file, or the system's trust store) and the
// host name, and only then lets FFmpeg speak plain RTSP to a one-shot listener on 127.0.0.1, relaying the bytes.
// The listener accepts one connection, and only one that this process opened (its socket's inode is among our
// own descriptors), so another local user cannot race FFmpeg to it.

#include "TLSBridge.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct TLSBridge {
    gnutls_session_t session;
    gnutls_certificate_credentials_t credentials;
    int remote;       // TCP socket to the camera, carrying TLS
    int listener;     // 127.0.0.1:port, closed once FFmpeg connected
    int local;        // FFmpeg's plain connection
    int wake[2];      // written by destroy to end the relay
    int port;
    int timeout_ms;
    pthread_t thread;
    int thread_started;
    int untrusted;    // the handshake failed on the camera's certificate
    int64_t deadline_ms;           // the whole open (connect, handshake) ends by then
    const atomic_int *interrupted;  // the reader's interrupt flag: the open gives up when it is set
};

static int64_t bridge_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bridge_message(char *message, size_t size, const char *format, const char *detail) {
    if (message && size > 0) snprintf(message, size, format, detail);
}

// A TCP connection to host:port within timeout_ms, trying each address the name resolves to.
static int bridge_connect(TLSBridge *b, const char *host, int port, char *message, size_t size) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {0}, *addresses = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, service, &hints, &addresses);
    if (gai != 0) {
        bridge_message(message, size, "cannot resolve the camera's host name: %s", gai_strerror(gai));
        return -1;
    }
    int last_error = ECONNREFUSED;
    for (struct addrinfo *a = addresses; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) continue;
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            // In slices of 100 ms up to the deadline, so that the reader's interrupt is seen.
            for (;;) {
                int64_t left = b->deadline_ms - bridge_now_ms();
                if (left <= 0 || (b->interrupted && atomic_load(b->interrupted))) {
                    rc = 0;
                    break;
                }
                rc = poll(&p, 1, left < 100 ? (int)left : 100);
                if (rc != 0 && !(rc < 0 && errno == EINTR)) break;
            }
            if (rc == 1) {
                int error = 0;
                socklen_t length = sizeof error;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
                rc = error == 0 ? 0 : -1;
                if (error) last_error = error;
            } else {
                last_error = rc == 0 ? ETIMEDOUT : errno;
                rc = -1;
            }
        } else if (rc != 0) {
            last_error = errno;
        }
        if (rc == 0) {
            int flags = fcntl(fd, F_GETFL);
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            freeaddrinfo(addresses);
            return fd;
        }
        close(fd);
    }
    freeaddrinfo(addresses);
    bridge_message(message, size, "cannot connect to the camera: %s", strerror(last_error));
    return -1;
}

static int bridge_is_ip_literal(const char *host) {
    unsigned char buffer[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buffer) == 1 || inet_pton(AF_INET6, host, buffer) == 1;
}

// Largest CA file accepted: a bundle of a few hundred certificates.
#define BRIDGE_MAX_CA_BYTES (1 << 20)

// The certificates to trust, read before anything is sent to the camera: a regular file of at most 1 MiB (never
// a FIFO or a device, which could block or never end), or the system's trust store.
static int bridge_trust(TLSBridge *b, const char *ca_file, char *message, size_t size) {
    if (gnutls_certificate_allocate_credentials(&b->credentials) != GNUTLS_E_SUCCESS) {
        bridge_message(message, size, "%s", "cannot allocate TLS credentials");
        return -1;
    }
    if (!ca_file || !ca_file[0]) {
        if (gnutls_certificate_set_x509_system_trust(b->credentials) <= 0) {
            bridge_message(message, size, "%s", "no trusted certificate could be read from the system's trust store");
            return -1;
        }
        return 0;
    }
    int fd = open(ca_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size <= 0 ||
        info.st_size > BRIDGE_MAX_CA_BYTES) {
        if (fd >= 0) close(fd);
        bridge_message(message, size, "no trusted certificate could be read from %s (a PEM file of at most 1 MiB)",
                       ca_file);
        return -1;
    }
    unsigned char *pem = malloc((size_t)info.st_size);
    size_t got = 0;
    while (pem && got < (size_t)info.st_size) {
        ssize_t n = read(fd, pem + got, (size_t)info.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    gnutls_datum_t datum = {.data = pem, .size = (unsigned)got};
    int loaded = pem && got > 0 ? gnutls_certificate_set_x509_trust_mem(b->credentials, &datum, GNUTLS_X509_FMT_PEM)
                                : 0;
    free(pem);
    if (loaded <= 0) {
        bridge_message(message, size, "no trusted certificate could be read from %s (a PEM file of at most 1 MiB)",
                       ca_file);
        return -1;
    }
    return 0;
}

// GnuTLS's wait for handshake data: at most until the open's deadline, waking every 100 ms to see the reader's
// interrupt, so that a camera dripping its handshake a byte at a time cannot hold the open (or a shutdown).
static int bridge_pull_timeout(gnutls_transport_ptr_t context, unsigned int ms) {
    TLSBridge *b = context;
    int64_t until = b->deadline_ms;
    if (ms != GNUTLS_INDEFINITE_TIMEOUT) {
        int64_t asked = bridge_now_ms() + ms;
        if (asked < until) until = asked;
    }
    for (;;) {
        if (b->interrupted && atomic_load(b->interrupted)) {
            errno = EINTR;
            return -1;
        }
        int64_t left = until - bridge_now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {.fd = b->remote, .events = POLLIN};
        int rc = poll(&p, 1, left < 100 ? (int)left : 100);
        if (rc > 0) return 1;
        if (rc < 0 && errno != EINTR) return -1;
    }
}

static ssize_t bridge_pull(gnutls_transport_ptr_t context, void *data, size_t size) {
    TLSBridge *b = context;
    ssize_t n;
    do {
        n = recv(b->remote, data, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
}

static ssize_t bridge_push(gnutls_transport_ptr_t context, const void *data, size_t size) {
    TLSBridge *b = context;
    ssize_t n;
    do {
        n = send(b->remote, data, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

static int bridge_handshake(TLSBridge *b, const char *host, char *message, size_t size) {
    if (gnutls_init(&b->session, GNUTLS_CLIENT) != GNUTLS_E_SUCCESS) {
        bridge_message(message, size, "%s", "cannot start a TLS session");
        return -1;
    }
    // TLS 1.2 or 1.3 with GnuTLS's secure defaults.
    gnutls_priority_set_direct(b->session, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL);
    gnutls_credentials_set(b->session, GNUTLS_CRD_CERTIFICATE, b->credentials);
    if (!bridge_is_ip_literal(host)) gnutls_server_name_set(b->session, GNUTLS_NAME_DNS, host, strlen(host));
    // The chain must lead to a trusted certificate and name `host` (a DNS name or an IP address).
    gnutls_session_set_verify_cert(b->session, host, 0);
    gnutls_transport_set_ptr(b->session, b);
    gnutls_transport_set_pull_function(b->session, bridge_pull);
    gnutls_transport_set_push_function(b->session, bridge_push);
    gnutls_transport_set_pull_timeout_function(b->session, bridge_pull_timeout);
    int64_t left = b->deadline_ms - bridge_now_ms();
    gnutls_handshake_set_timeout(b->session, left > 0 ? (unsigned)left : 1);
    int rc;
    do {
        rc = gnutls_handshake(b->session);
    } while (rc < 0 && !gnutls_error_is_fatal(rc) && bridge_now_ms() < b->deadline_ms &&
             !(b->interrupted && atomic_load(b->interrupted)));
    if (rc < 0 && b->interrupted && atomic_load(b->interrupted)) {
        bridge_message(message, size, "%s", "interrupted");
        return -1;
    }
    if (rc == GNUTLS_E_SUCCESS) return 0;
    if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
        b->untrusted = 1;
        unsigned status = gnutls_session_get_verify_cert_status(b->session);
        gnutls_datum_t text = {0};
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0 && text.data) {
            bridge_message(message, size, "the camera's TLS certificate was refused: %s", (const char *)text.data);
            gnutls_free(text.data);
        } else {
            bridge_message(message, size, "%s", "the camera's TLS certificate was refused");
        }
    } else {
        bridge_message(message, size, "the TLS handshake with the camera failed: %s", gnutls_strerror(rc));
    }
    return -1;
}

// Whether the peer of `fd` (an accepted connection on our 127.0.0.1 listener) is a socket this process holds. The
// peer must be 127.0.0.1 itself, and the one entry of /proc/self/net/tcp whose local end is the peer's address and
// port and whose remote end is 127.0.0.1 and the listener's port (the whole four-tuple, so that another user's
// socket bound to another loopback address and the same port cannot pass for it) must have an inode among
// /proc/self/fd's sockets.
static int bridge_peer_is_ours(int fd, int listen_port) {
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &length) != 0 || length != sizeof peer ||
        peer.sin_family != AF_INET || peer.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
        return 0;
    // /proc prints an IPv4 address as the 32-bit value in host order of its network-order bytes ("0100007F").
    unsigned long loopback = (unsigned long)peer.sin_addr.s_addr;
    int peer_port = ntohs(peer.sin_port);
    unsigned long inode = 0;
    int matches = 0;
    FILE *f = fopen("/proc/self/net/tcp", "r");
    if (!f) return 0;
    char line[512];
    if (fgets(line, sizeof line, f)) {
        while (fgets(line, sizeof line, f)) {
            unsigned long local_address, remote_address, node;
            unsigned local_port, remote_port;
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            if (sscanf(line, "%*s %lx:%x %lx:%x %*s %*s %*s %*s %*s %*s %lu", &local_address, &local_port,
                       &remote_address, &remote_port, &node) != 5)
                continue;
            if (local_address == loopback && (int)local_port == peer_port && remote_address == loopback &&
                (int)remote_port == listen_port) {
                inode = node;
                matches++;
            }
        }
    }
    fclose(f);
    if (matches != 1 || inode == 0) return 0;
    char wanted[64];
    snprintf(wanted, sizeof wanted, "socket:[%lu]", inode);
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return 0;
    int found = 0;
    struct dirent *entry;
    while (!found && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.') continue;
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        found = strcmp(target, wanted) == 0;
    }
    closedir(dir);
    return found;
}

static int bridge_write_all(int fd, const char *data, size_t size) {
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

static int bridge_send_all(gnutls_session_t session, const char *data, size_t size) {
    while (size > 0) {
        ssize_t n = gnutls_record_send(session, data, size);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
        if (n <= 0) return -1;
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

// Waits for FFmpeg's connection (ours only), then copies bytes both ways until a side closes or destroy wakes it.
static void *bridge_relay(void *argument) {
    TLSBridge *b = argument;
    int64_t deadline = bridge_now_ms() + (b->timeout_ms > 0 ? b->timeout_ms : 10000);
    while (b->local < 0) {
        struct pollfd p[2] = {{.fd = b->listener, .events = POLLIN}, {.fd = b->wake[0], .events = POLLIN}};
        int64_t left = deadline - bridge_now_ms();
        if (left <= 0 || poll(p, 2, (int)left) <= 0 || (p[1].revents & POLLIN)) goto done;
        int fd = accept4(b->listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        if (bridge_peer_is_ours(fd, b->port)) {
            b->local = fd;
        } else {
            close(fd);  // someone else's connection: refused, keep waiting for ours
        }
    }
    close(b->listener);
    b->listener = -1;
    char buffer[16384];
    for (;;) {
        if (gnutls_record_check_pending(b->session) == 0) {
            struct pollfd p[3] = {{.fd = b->local, .events = POLLIN},
                                  {.fd = b->remote, .events = POLLIN},
                                  {.fd = b->wake[0], .events = POLLIN}};
            if (poll(p, 3, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            if (p[2].revents) break;
            if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = recv(b->local, buffer, sizeof buffer, 0);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0 || bridge_send_all(b->session, buffer, (size_t)n) != 0) break;
            }
            if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        }
        ssize_t n = gnutls_record_recv(b->session, buffer, sizeof buffer);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
        if (n <= 0 || bridge_write_all(b->local, buffer, (size_t)n) != 0) break;
    }
done:
    // FFmpeg sees the connection end as a closed stream and reports it; the reader reopens with a new bridge.
    if (b->local >= 0) shutdown(b->local, SHUT_RDWR);
    return NULL;
}

int TLSBridge_open(const char *host, int port, const char *ca_file, int timeout_ms, const atomic_int *interrupted,
                   TLSBridge **out, char *message, size_t message_size) {
    *out = NULL;
    TLSBridge *b = calloc(1, sizeof *b);
    if (!b) {
        bridge_message(message, message_size, "%s", "out of memory");
        return -1;
    }
    b->remote = b->listener = b->local = b->wake[0] = b->wake[1] = -1;
    b->timeout_ms = timeout_ms;
    b->deadline_ms = bridge_now_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    b->interrupted = interrupted;
    if (bridge_trust(b, ca_file, message, message_size) != 0) goto fail;
    b->remote = bridge_connect(b, host, port, message, message_size);
    if (b->remote < 0 || bridge_handshake(b, host, message, message_size) != 0) goto fail;
    // The open is done: from here the relay lives until the reader closes it.
    b->deadline_ms = INT64_MAX;
    b->interrupted = NULL;
    if (pipe2(b->wake, O_CLOEXEC) != 0) goto fail_system;
    b->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (b->listener < 0) goto fail_system;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(b->listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(b->listener, 4) != 0 ||
        getsockname(b->listener, (struct sockaddr *)&address, &length) != 0)
        goto fail_system;
    b->port = ntohs(address.sin_port);
    if (pthread_create(&b->thread, NULL, bridge_relay, b) != 0) goto fail_system;
    b->thread_started = 1;
    *out = b;
    return 0;
fail_system:
    bridge_message(message, message_size, "cannot relay the camera's TLS connection: %s", strerror(errno));
fail:;
    int status = b->untrusted ? -2 : -1;
    TLSBridge_destroy(b);
    return status;
}

int TLSBridge_port(const TLSBridge *b) { return b->port; }

void TLSBridge_destroy(TLSBridge *b) {
    if (!b) return;
    if (b->thread_started) {
        if (b->wake[1] >= 0) {
            char one = 1;
            (void)!write(b->wake[1], &one, 1);
        }
        // A relay blocked inside a TLS record read wakes when its socket is shut down.
        if (b->remote >= 0) shutdown(b->remote, SHUT_RDWR);
        pthread_join(b->thread, NULL);
    }
    if (b->session) {
        gnutls_deinit(b->session);
    }
    if (b->credentials) gnutls_certificate_free_credentials(b->credentials);
    int fds[] = {b->remote, b->listener, b->local, b->wake[0], b->wake[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (fds[i] >= 0) close(fds[i]);
    }
    free(b);
}
