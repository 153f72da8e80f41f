// Private to CFFmpeg: a verified TLS connection to an rtsps:// camera, relayed to FFmpeg as plain RTSP on a
// one-shot loopback listener (TLSBridge.c says why).
#ifndef CFFMPEG_TLS_BRIDGE_H
#define CFFMPEG_TLS_BRIDGE_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct TLSBridge TLSBridge;

/// Connects to host:port, completes a TLS 1.2+ handshake that verifies the camera's certificate chain against
/// `ca_file` (PEM; NULL or "" for the system's trust store) and its name against `host`, then listens on
/// 127.0.0.1 for one connection from this process and relays it. Waits at most `timeout_ms` (10 s when 0) to
/// connect, to finish the handshake and for the connection (the first two together; a camera dripping its
/// handshake cannot stretch them), and gives up as soon as `*interrupted` is set. Returns 0 and the bridge, -2 when the camera's
/// certificate was refused, or -1 for any other failure, with a message that names no credential.
int TLSBridge_open(const char *host, int port, const char *ca_file, int timeout_ms, const atomic_int *interrupted,
                   TLSBridge **out, char *message, size_t message_size);
/// The loopback port FFmpeg connects to.
int TLSBridge_port(const TLSBridge *bridge);
/// Ends the relay and frees everything. NULL is allowed.
void TLSBridge_destroy(TLSBridge *bridge);

#endif
