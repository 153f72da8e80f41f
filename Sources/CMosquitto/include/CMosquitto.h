// CMosquitto: a thin shim over libmosquitto (Debian libmosquitto-dev) so that Swift never sees its callbacks,
// threads or ownership rules: one opaque client, plain calls that never block for long, and state to poll.
#ifndef CMOSQUITTO_H
#define CMOSQUITTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One MQTT connection with its own network thread (reconnecting with backoff), owned by its creator.
typedef struct CMosquitto_client CMosquitto_client;

/// Connection states reported by `CMosquitto_state`.
enum {
    CMOSQUITTO_CONNECTING = 0,
    CMOSQUITTO_CONNECTED = 1,
    /// The broker answered CONNACK with a refusal; `connack` holds its code (3.1.1 return code or v5 reason).
    CMOSQUITTO_REFUSED = 2,
    CMOSQUITTO_DISCONNECTED = 3,
};

/// A client with `client_id` speaking MQTT 5 when `v5` is non-zero, else 3.1.1; `clean_session` 0 asks the broker
/// to keep the subscriptions and queued messages across disconnections. NULL when out of memory.
CMosquitto_client *CMosquitto_new(const char *client_id, int v5, int clean_session);
/// Stops the network thread (when started), disconnects and frees everything. Safe with NULL.
void CMosquitto_destroy(CMosquitto_client *client);

/// Username and password (copied by libmosquitto). Returns a MOSQ_ERR_* code (0 success).
int CMosquitto_set_credentials(CMosquitto_client *client, const char *username, const char *password);
/// TLS with `cafile` as the only trust anchor; `verify_hostname` 0 skips the host-name check (a pinned certificate).
int CMosquitto_set_tls(CMosquitto_client *client, const char *cafile, int verify_hostname);
/// The last will (sent by the broker when the connection dies without a DISCONNECT).
int CMosquitto_set_will(CMosquitto_client *client, const char *topic, const void *payload, int length, int qos,
                        int retain);

/// Starts connecting to `host:port` on the client's own thread, which reconnects after losses (backoff from
/// `min_delay` to `max_delay` seconds). Returns 0, or a MOSQ_ERR_* code when the thread could not start.
int CMosquitto_start(CMosquitto_client *client, const char *host, int port, int keepalive, int min_delay,
                     int max_delay);

/// The connection state; `connack` receives the last CONNACK code, `generation` a number that grows with each
/// successful connection (a caller that saw another number must assume what it sent unacknowledged was lost).
int CMosquitto_state(CMosquitto_client *client, int *connack, uint64_t *generation);
/// Copies the last error libmosquitto reported (TLS, socket) into `buffer` (NUL-terminated); returns its length.
size_t CMosquitto_last_error(CMosquitto_client *client, char *buffer, size_t capacity);

/// Queues a message; `mid` receives its message id. Returns a MOSQ_ERR_* code.
int CMosquitto_publish(CMosquitto_client *client, const char *topic, const void *payload, int length, int qos,
                       int retain, int *mid);
/// A count of acknowledgements so far: take it before publishing, and pass it to `CMosquitto_is_acked`.
uint64_t CMosquitto_ack_clock(CMosquitto_client *client);
/// Whether message `mid` was acknowledged after `since` (an `ack_clock` value taken before it was published):
/// QoS 1, its PUBACK came; QoS 0, it was written to the socket. Message ids are reused, hence the clock.
int CMosquitto_is_acked(CMosquitto_client *client, int mid, uint64_t since);

/// Subscribes to `pattern` (for diagnostics and tests); received messages wait in a queue of at most 65536.
int CMosquitto_subscribe(CMosquitto_client *client, const char *pattern, int qos);
/// Pops the oldest received message: 1 and malloc'd topic and payload (the caller frees both), 0 when none.
int CMosquitto_next_message(CMosquitto_client *client, char **topic, void **payload, int *length, int *retain);

/// Sends DISCONNECT (the will is then not published) once connected; the thread goes on until destroyed.
int CMosquitto_disconnect(CMosquitto_client *client);

/// libmosquitto's text for a MOSQ_ERR_* code, and for a CONNACK code.
const char *CMosquitto_strerror(int code);
const char *CMosquitto_connack_string(int code);

#ifdef __cplusplus
}
#endif
#endif
