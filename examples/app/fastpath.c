/* The compiled helper the multi-stage variant builds in its builder stage. */
#include <stddef.h>

int checksum(const char *text, size_t length) {
    unsigned long sum = 0;
    for (size_t i = 0; i < length; i++) sum += (unsigned char)text[i];
    return (int)(sum % 65521);
}
