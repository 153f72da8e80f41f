#include "CMosquitto.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// Bytes of received messages held for `CMosquitto_next_message` at most; more are dropped.
#define CMOSQUITTO_MAX_QUEUED_BYTES (16 << 20)

struct message {
    struct message *next;
    char *topic;
    void *payload;
    int length;
    int retain;
};

struct CMosquitto_client {
    struct mosquitto *mosq;
    pthread_mutex_t lock;
    int state;
    int connack;
    uint64_t generation;
    int started;
    char last_error[256];
    /// The ack clock, and its value at each message id's latest acknowledgement.
    uint64_t ack_clock;
    uint64_t acked_at[65536];
    struct message *head, *tail;
    int queued;
    size_t queued_bytes;
    /// Messages are kept only once something was subscribed: a broker that pushes unasked messages at a
    /// publisher is ignored rather than buffered.
    int subscribed;
    /// The network thread (ours, not libmosquitto's: its own loop gives up for good on a TLS or name-lookup
    /// failure, and never retries a first connection that failed).
    pthread_t thread;
    atomic_int stop;
    /// Set by CMosquitto_disconnect: the thread does not reconnect until the next CMosquitto_start.
    atomic_int stay_down;
    int reconnect_now;
    unsigned min_delay, max_delay;
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static void library_init(void) { mosquitto_lib_init(); }

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
    (void)mosq;
    CMosquitto_client *c = obj;
    pthread_mutex_lock(&c->lock);
    c->connack = rc;
    if (rc == 0) {
        c->state = CMOSQUITTO_CONNECTED;
        c->generation += 1;
    } else {
        c->state = CMOSQUITTO_REFUSED;
    }
    pthread_mutex_unlock(&c->lock);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc) {
    (void)mosq;
    (void)rc;
    CMosquitto_client *c = obj;
    pthread_mutex_lock(&c->lock);
    if (c->state != CMOSQUITTO_REFUSED) c->state = CMOSQUITTO_DISCONNECTED;
    pthread_mutex_unlock(&c->lock);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid) {
    (void)mosq;
    CMosquitto_client *c = obj;
    if (mid <= 0 || mid > 65535) return;
    pthread_mutex_lock(&c->lock);
    c->ack_clock += 1;
    c->acked_at[mid] = c->ack_clock;
    pthread_mutex_unlock(&c->lock);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m) {
    (void)mosq;
    CMosquitto_client *c = obj;
    pthread_mutex_lock(&c->lock);
    int wanted = c->subscribed;
    pthread_mutex_unlock(&c->lock);
    if (!wanted || !m->topic || m->payloadlen < 0) return;
    struct message *copy = calloc(1, sizeof *copy);
    if (!copy) return;
    copy->topic = strdup(m->topic);
    copy->length = m->payloadlen;
    copy->payload = malloc(m->payloadlen > 0 ? (size_t)m->payloadlen : 1);
    copy->retain = m->retain;
    if (!copy->topic || !copy->payload) {
        free(copy->topic);
        free(copy->payload);
        free(copy);
        return;
    }
    if (m->payloadlen > 0) memcpy(copy->payload, m->payload, (size_t)m->payloadlen);
    pthread_mutex_lock(&c->lock);
    if (!c->subscribed || c->queued >= 65536 ||
        c->queued_bytes + (size_t)copy->length > CMOSQUITTO_MAX_QUEUED_BYTES) {
        pthread_mutex_unlock(&c->lock);
        free(copy->topic);
        free(copy->payload);
        free(copy);
        return;
    }
    if (c->tail) c->tail->next = copy; else c->head = copy;
    c->tail = copy;
    c->queued += 1;
    c->queued_bytes += (size_t)copy->length;
    pthread_mutex_unlock(&c->lock);
}

static void on_log(struct mosquitto *mosq, void *obj, int level, const char *text) {
    (void)mosq;
    CMosquitto_client *c = obj;
    if (!(level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) || !text) return;
    pthread_mutex_lock(&c->lock);
    strncpy(c->last_error, text, sizeof c->last_error - 1);
    c->last_error[sizeof c->last_error - 1] = 0;
    pthread_mutex_unlock(&c->lock);
}

CMosquitto_client *CMosquitto_new(const char *client_id, int v5, int clean_session) {
    pthread_once(&library_once, library_init);
    CMosquitto_client *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->mosq = mosquitto_new(client_id, clean_session != 0, c);
    if (!c->mosq) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
    }
    mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(c->mosq, on_connect);
    mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
    mosquitto_publish_callback_set(c->mosq, on_publish);
    mosquitto_message_callback_set(c->mosq, on_message);
    mosquitto_log_callback_set(c->mosq, on_log);
    return c;
}

void CMosquitto_destroy(CMosquitto_client *c) {
    if (!c) return;
    if (c->started) {
        atomic_store(&c->stop, 1);
        atomic_store(&c->stay_down, 1);
        mosquitto_disconnect(c->mosq);
        pthread_join(c->thread, NULL);
    }
    mosquitto_destroy(c->mosq);
    struct message *m = c->head;
    while (m) {
        struct message *next = m->next;
        free(m->topic);
        free(m->payload);
        free(m);
        m = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int CMosquitto_set_credentials(CMosquitto_client *c, const char *username, const char *password) {
    return mosquitto_username_pw_set(c->mosq, username, password);
}

int CMosquitto_set_tls(CMosquitto_client *c, const char *cafile, int verify_hostname) {
    int rc = mosquitto_tls_set(c->mosq, cafile, NULL, NULL, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    return mosquitto_tls_insecure_set(c->mosq, verify_hostname ? false : true);
}

int CMosquitto_set_will(CMosquitto_client *c, const char *topic, const void *payload, int length, int qos,
                        int retain) {
    return mosquitto_will_set(c->mosq, topic, length, payload, qos, retain != 0);
}

static void record_error(CMosquitto_client *c, int rc) {
    pthread_mutex_lock(&c->lock);
    if (c->state != CMOSQUITTO_REFUSED) c->state = CMOSQUITTO_DISCONNECTED;
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN && rc != MOSQ_ERR_CONN_LOST) {
        strncpy(c->last_error, mosquitto_strerror(rc), sizeof c->last_error - 1);
        c->last_error[sizeof c->last_error - 1] = 0;
    }
    pthread_mutex_unlock(&c->lock);
}

// Sleeps `seconds`, waking early when the client is stopped.
static void pause_unless_stopped(CMosquitto_client *c, unsigned seconds) {
    for (unsigned tick = 0; tick < seconds * 20 && !atomic_load(&c->stop); tick++) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

// The network thread: drives the connection, and after any failure at all (refused, lost, TLS, DNS, a first
// connection to a broker that is not up yet) reconnects with a backoff from min_delay doubling to max_delay.
static void *network_thread(void *argument) {
    CMosquitto_client *c = argument;
    unsigned delay = c->min_delay;
    int reconnect = c->reconnect_now;
    while (!atomic_load(&c->stop)) {
        if (atomic_load(&c->stay_down)) {
            mosquitto_loop(c->mosq, 100, 1);  // lets a requested disconnect go out
            pause_unless_stopped(c, 1);
            continue;
        }
        if (reconnect) {
            pause_unless_stopped(c, delay);
            if (atomic_load(&c->stop)) break;
            int rc = mosquitto_reconnect_async(c->mosq);
            if (rc != MOSQ_ERR_SUCCESS) {
                record_error(c, rc);
                delay = delay * 2 > c->max_delay ? c->max_delay : delay * 2;
                continue;
            }
            reconnect = 0;
        }
        int rc = mosquitto_loop(c->mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            if (atomic_load(&c->stop)) break;
            record_error(c, rc);
            reconnect = 1;
            delay = delay * 2 > c->max_delay ? c->max_delay : delay * 2;
            if (delay < c->min_delay) delay = c->min_delay;
            continue;
        }
        pthread_mutex_lock(&c->lock);
        int connected = c->state == CMOSQUITTO_CONNECTED;
        pthread_mutex_unlock(&c->lock);
        if (connected) delay = c->min_delay;
    }
    return NULL;
}

int CMosquitto_start(CMosquitto_client *c, const char *host, int port, int keepalive, int min_delay,
                     int max_delay) {
    if (c->started) {
        // Started before and disconnected on request: connect again.
        atomic_store(&c->stay_down, 0);
        return MOSQ_ERR_SUCCESS;
    }
    c->min_delay = min_delay > 0 ? (unsigned)min_delay : 1;
    c->max_delay = max_delay >= min_delay && max_delay > 0 ? (unsigned)max_delay : c->min_delay;
    mosquitto_threaded_set(c->mosq, true);
    // A first connection that fails (broker down, TLS, name lookup) is retried by the network thread like any
    // later loss; other failures (bad arguments) are the caller's.
    int rc = mosquitto_connect_async(c->mosq, host, port, keepalive);
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO && rc != MOSQ_ERR_TLS && rc != MOSQ_ERR_EAI) return rc;
    c->reconnect_now = rc != MOSQ_ERR_SUCCESS;
    if (rc != MOSQ_ERR_SUCCESS) record_error(c, rc);
    if (pthread_create(&c->thread, NULL, network_thread, c) != 0) return MOSQ_ERR_NOMEM;
    c->started = 1;
    return MOSQ_ERR_SUCCESS;
}

int CMosquitto_state(CMosquitto_client *c, int *connack, uint64_t *generation) {
    pthread_mutex_lock(&c->lock);
    int state = c->state;
    if (connack) *connack = c->connack;
    if (generation) *generation = c->generation;
    pthread_mutex_unlock(&c->lock);
    return state;
}

size_t CMosquitto_last_error(CMosquitto_client *c, char *buffer, size_t capacity) {
    if (capacity == 0) return 0;
    pthread_mutex_lock(&c->lock);
    strncpy(buffer, c->last_error, capacity - 1);
    buffer[capacity - 1] = 0;
    pthread_mutex_unlock(&c->lock);
    return strlen(buffer);
}

int CMosquitto_publish(CMosquitto_client *c, const char *topic, const void *payload, int length, int qos,
                       int retain, int *mid) {
    int local = 0;
    int rc = mosquitto_publish(c->mosq, &local, topic, length, payload, qos, retain != 0);
    if (mid) *mid = local;
    return rc;
}

uint64_t CMosquitto_ack_clock(CMosquitto_client *c) {
    pthread_mutex_lock(&c->lock);
    uint64_t now = c->ack_clock;
    pthread_mutex_unlock(&c->lock);
    return now;
}

int CMosquitto_is_acked(CMosquitto_client *c, int mid, uint64_t since) {
    if (mid <= 0 || mid > 65535) return 0;
    pthread_mutex_lock(&c->lock);
    int acked = c->acked_at[mid] > since;
    pthread_mutex_unlock(&c->lock);
    return acked;
}

int CMosquitto_subscribe(CMosquitto_client *c, const char *pattern, int qos) {
    pthread_mutex_lock(&c->lock);
    c->subscribed = 1;
    pthread_mutex_unlock(&c->lock);
    return mosquitto_subscribe(c->mosq, NULL, pattern, qos);
}

int CMosquitto_next_message(CMosquitto_client *c, char **topic, void **payload, int *length, int *retain) {
    pthread_mutex_lock(&c->lock);
    struct message *m = c->head;
    if (m) {
        c->head = m->next;
        if (!c->head) c->tail = NULL;
        c->queued -= 1;
        c->queued_bytes -= (size_t)m->length;
    }
    pthread_mutex_unlock(&c->lock);
    if (!m) return 0;
    *topic = m->topic;
    *payload = m->payload;
    *length = m->length;
    *retain = m->retain;
    free(m);
    return 1;
}

int CMosquitto_disconnect(CMosquitto_client *c) {
    atomic_store(&c->stay_down, 1);
    return mosquitto_disconnect(c->mosq);
}

const char *CMosquitto_strerror(int code) { return mosquitto_strerror(code); }

const char *CMosquitto_connack_string(int code) {
    return code > 5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code);
}
