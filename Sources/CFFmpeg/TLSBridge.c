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
static int bridge_connect(const char *host, int port, int timeout_ms, char *message, size_t size) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {0}, *addresses = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, service, &hints, &addresses);
    if (gai != 0) {
        bridge_message(message, size, "cannot resolve the camera's host name: %s", gai_strerror(gai));
        return -1;
    }
    int64_t deadline = bridge_now_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
    int last_error = ECONNREFUSED;
    for (struct addrinfo *a = addresses; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) continue;
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int64_t left = deadline - bridge_now_ms();
            rc = left > 0 ? poll(&p, 1, (int)left) : 0;
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

// The certificates to trust, read before anything is sent to the camera.
static int bridge_trust(TLSBridge *b, const char *ca_file, char *message, size_t size) {
    if (gnutls_certificate_allocate_credentials(&b->credentials) != GNUTLS_E_SUCCESS) {
        bridge_message(message, size, "%s", "cannot allocate TLS credentials");
        return -1;
    }
    int loaded = ca_file && ca_file[0]
                     ? gnutls_certificate_set_x509_trust_file(b->credentials, ca_file, GNUTLS_X509_FMT_PEM)
                     : gnutls_certificate_set_x509_system_trust(b->credentials);
    if (loaded <= 0) {
        bridge_message(message, size, "no trusted certificate could be read from %s",
                       ca_file && ca_file[0] ? ca_file : "the system's trust store");
        return -1;
    }
    return 0;
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
    gnutls_transport_set_int(b->session, b->remote);
    gnutls_handshake_set_timeout(b->session, b->timeout_ms > 0 ? (unsigned)b->timeout_ms : 10000);
    int rc;
    do {
        rc = gnutls_handshake(b->session);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
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

// Whether the peer of `fd` (an accepted loopback connection) is a socket this process holds: its inode, found in
// /proc/self/net/tcp{,6} by the two ports, must be one of /proc/self/fd's sockets.
static int bridge_peer_is_ours(int fd, int listen_port) {
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    if (getpeername(fd, (struct sockaddr *)&peer, &length) != 0) return 0;
    int peer_port = peer.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&peer)->sin_port)
                                              : ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
    unsigned long inode = 0;
    const char *tables[] = {"/proc/self/net/tcp", "/proc/self/net/tcp6"};
    for (int t = 0; t < 2 && inode == 0; t++) {
        FILE *f = fopen(tables[t], "r");
        if (!f) continue;
        char line[512];
        if (!fgets(line, sizeof line, f)) {
            fclose(f);
            continue;
        }
        while (fgets(line, sizeof line, f)) {
            char local[64], remote[64];
            unsigned long node = 0;
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            if (sscanf(line, "%*s %63s %63s %*s %*s %*s %*s %*s %*s %lu", local, remote, &node) != 3) continue;
            const char *lp = strrchr(local, ':'), *rp = strrchr(remote, ':');
            if (!lp || !rp) continue;
            if ((int)strtol(lp + 1, NULL, 16) == peer_port && (int)strtol(rp + 1, NULL, 16) == listen_port) {
                inode = node;
                break;
            }
        }
        fclose(f);
    }
    if (inode == 0) return 0;
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

int TLSBridge_open(const char *host, int port, const char *ca_file, int timeout_ms, TLSBridge **out, char *message,
                   size_t message_size) {
    *out = NULL;
    TLSBridge *b = calloc(1, sizeof *b);
    if (!b) {
        bridge_message(message, message_size, "%s", "out of memory");
        return -1;
    }
    b->remote = b->listener = b->local = b->wake[0] = b->wake[1] = -1;
    b->timeout_ms = timeout_ms;
    if (bridge_trust(b, ca_file, message, message_size) != 0) goto fail;
    b->remote = bridge_connect(host, port, timeout_ms, message, message_size);
    if (b->remote < 0 || bridge_handshake(b, host, message, message_size) != 0) goto fail;
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
