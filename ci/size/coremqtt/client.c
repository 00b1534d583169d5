/* The same complete client as picomqtt's ci/size/src/bin/client.rs, with coreMQTT v1.2.0:
 * connect with a will (QoS 1, retain) and clean session 0, keep alive 60 s; after a reconnect
 * that finds the session, resend the QoS 1 messages in flight with DUP (coreMQTT v1 leaves the
 * copies to the application); otherwise subscribe again; subscribe; publish QoS 1 with retain
 * and QoS 0; process incoming packets (PUBACK for QoS 1 is the library's), topic and payload to
 * an opaque sink. */
#include "common.h"
#include "core_mqtt.h"
#include "core_mqtt_state.h"

#define STORE 4
static struct { uint16_t id; MQTTPublishInfo_t info; } store[STORE];

static void keep_copy(uint16_t id, const MQTTPublishInfo_t *info) {
    for (int i = 0; i < STORE; i++) {
        if (store[i].id == 0) { store[i].id = id; store[i].info = *info; return; }
    }
}

static void forget_copy(uint16_t id) {
    for (int i = 0; i < STORE; i++) if (store[i].id == id) store[i].id = 0;
}

static void on_event(MQTTContext_t *ctx, MQTTPacketInfo_t *packet, MQTTDeserializedInfo_t *info) {
    (void)ctx;
    if ((packet->type & 0xF0U) == MQTT_PACKET_TYPE_PUBLISH) {
        const MQTTPublishInfo_t *p = info->pPublishInfo;
        opaque_word = (uint32_t)(uintptr_t)p->pTopicName + p->topicNameLength;
        opaque_word = (uint32_t)(uintptr_t)p->pPayload + p->payloadLength;
    } else if (packet->type == MQTT_PACKET_TYPE_PUBACK) {
        forget_copy(info->packetIdentifier);
    }
}

static MQTTPublishInfo_t message(MQTTQoS_t qos, bool retain, const char *topic,
                                 uint16_t topic_len, const void *payload, size_t payload_len) {
    MQTTPublishInfo_t info = { 0 };
    info.qos = qos;
    info.retain = retain;
    info.pTopicName = topic;
    info.topicNameLength = topic_len;
    info.pPayload = payload;
    info.payloadLength = payload_len;
    return info;
}

int main(void) {
    static MQTTContext_t ctx;
    static uint8_t buffer[1024];
    static NetworkContext_t net;
    TransportInterface_t transport = { opaque_recv, opaque_send, &net };
    MQTTFixedBuffer_t fixed = { buffer, sizeof buffer };
    MQTTSubscribeInfo_t subs[1] = { { MQTTQoS1, "dev/commands", 12 } };
    use_mem_routines(buffer, buffer + 64, opaque_word % 64);
    for (;;) {
        if (MQTT_Init(&ctx, &transport, opaque_time, on_event, &fixed) != MQTTSuccess) continue;
        MQTTConnectInfo_t connect = { 0 };
        connect.cleanSession = false;
        connect.keepAliveSeconds = 60;
        connect.pClientIdentifier = "dev";
        connect.clientIdentifierLength = 3;
        MQTTPublishInfo_t will = message(MQTTQoS1, true, "dev/status", 10, "offline", 7);
        bool present = false;
        if (MQTT_Connect(&ctx, &connect, &will, 10000, &present) != MQTTSuccess) continue;
        if (present) {
            MQTTStateCursor_t cursor = MQTT_STATE_CURSOR_INITIALIZER;
            uint16_t id;
            while ((id = MQTT_PublishToResend(&ctx, &cursor)) != MQTT_PACKET_ID_INVALID) {
                for (int i = 0; i < STORE; i++) {
                    if (store[i].id == id) {
                        store[i].info.dup = true;
                        (void)MQTT_Publish(&ctx, &store[i].info, id);
                    }
                }
            }
        } else {
            (void)MQTT_Subscribe(&ctx, subs, 1, MQTT_GetPacketId(&ctx));
        }
        (void)MQTT_Subscribe(&ctx, subs, 1, MQTT_GetPacketId(&ctx));
        MQTTPublishInfo_t status = message(MQTTQoS1, true, "dev/status", 10, "online", 6);
        uint16_t id = MQTT_GetPacketId(&ctx);
        if (MQTT_Publish(&ctx, &status, id) == MQTTSuccess) keep_copy(id, &status);
        MQTTPublishInfo_t telemetry =
            message(MQTTQoS0, false, "dev/telemetry", 13, (const void *)(uintptr_t)opaque_word, 2);
        (void)MQTT_Publish(&ctx, &telemetry, 0);
        while (MQTT_ProcessLoop(&ctx, 1000) == MQTTSuccess) {}
    }
}
