#include <zlib.h>

/* inflateInit2 is a macro that passes the library version and the struct size; Swift cannot
   import it, so it is re-exported here. windowBits -15: raw deflate (zip members); 15: a zlib
   stream (MATLAB v5 compressed elements). */
static inline int slipline_inflate_init2(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
