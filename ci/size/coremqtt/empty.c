/* The baseline: the same startup, clock, transport and mem routines, moving bytes without MQTT. */
#include "common.h"

int main(void) {
    static uint8_t buf[64], copy[64];
    static NetworkContext_t net;
    for (;;) {
        uint32_t now = opaque_time();
        int32_t n = opaque_recv(&net, buf, sizeof buf);
        if (n < 0) n = 0;
        use_mem_routines(buf, copy, (size_t)n);
        opaque_send(&net, copy, (size_t)n);
        opaque_word = now;
    }
}
