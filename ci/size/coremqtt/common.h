/* What client.c and empty.c share: a minimal Cortex-M startup, an opaque clock, an opaque
 * transport, and the mem routines. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

struct NetworkContext { int unused; };
typedef struct NetworkContext NetworkContext_t;

static volatile uint32_t opaque_word;
static volatile uint8_t opaque_byte;

__attribute__((noinline)) uint32_t opaque_time(void) { return opaque_word; }

__attribute__((noinline)) int32_t opaque_recv(NetworkContext_t *ctx, void *buf, size_t n) {
    (void)ctx;
    uint8_t *b = buf;
    size_t k = opaque_word < n ? opaque_word : n;
    for (size_t i = 0; i < k; i++) b[i] = opaque_byte;
    return opaque_word ? (int32_t)k : -1;
}

__attribute__((noinline)) int32_t opaque_send(NetworkContext_t *ctx, const void *buf, size_t n) {
    (void)ctx;
    const uint8_t *b = buf;
    for (size_t i = 0; i < n; i++) opaque_byte = b[i];
    return opaque_word ? (int32_t)n : -1;
}

/* memcpy, memmove and memset, linked by both programs as every firmware links them (picomqtt's
 * baseline does the same), so that the difference is coreMQTT and its use alone. */
__attribute__((noinline)) void use_mem_routines(uint8_t *buf, uint8_t *copy, size_t n) {
    size_t at = opaque_word % 64;
    if (at > n) at = n;
    memmove(buf, buf + at, n - at);
    memcpy(copy, buf, n);
    memset(copy + opaque_word % 8, 0, opaque_word % 32);
}

int main(void);
extern uint32_t _stack_top;
__attribute__((noreturn)) void Reset(void) { main(); for (;;) {} }
__attribute__((section(".vector_table"), used)) const void *const vectors[] = {
    &_stack_top, (const void *)Reset,
};

/* What a firmware supplies for assert() when NDEBUG is not defined: stop. */
__attribute__((noreturn)) void __assert_func(const char *f, int l, const char *fn, const char *e) {
    (void)f; (void)l; (void)fn; (void)e;
    for (;;) {}
}
