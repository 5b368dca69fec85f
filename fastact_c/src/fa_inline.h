/* fa_inline.h - FA_INLINE: static inline, and always inlined where the compiler
 * allows: inside GCC target_clones loops a call would neither vectorize nor use
 * the clone's instruction set. */
#ifndef FA_INLINE
#if defined(__GNUC__)
#define FA_INLINE static inline __attribute__((always_inline))
#else
#define FA_INLINE static inline
#endif
#endif
