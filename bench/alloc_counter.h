// A counting global operator new/delete for benchmark binaries (each bench is one translation
// unit with its own main, so replacing the global operators affects that binary only; include
// this header from exactly one file per binary).
//
// Why usable sizes: the question the benchmarks answer is "how much heap does this hold", and
// the allocator's usable size (malloc_usable_size) is what a block really occupies, minus the
// allocator's own header (8 bytes per block on glibc, reported separately as block counts).
// Using the same measure on free keeps live_bytes exact without a header of our own.
//
// Attribution: `side` says whose code is running (0 = stack A, 1 = stack B, 2 = anything
// else); the driver sets it before calling into a stack (InMemoryPair::on_enter). Blocks
// freed under another side than the one that allocated them move between buckets, but the
// sum stays right.
//
// Single-threaded, like the benchmarks.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace synack::bench::heap {

inline uint64_t allocs = 0;
inline int64_t live_bytes[3] = {};
inline int64_t live_blocks[3] = {};
inline int side = 2;

inline void set_side(int s) {
  side = s;
}
[[nodiscard]] inline int64_t total_live_bytes() {
  return live_bytes[0] + live_bytes[1] + live_bytes[2];
}

// Out of line so that GCC does not pair an inlined malloc with an inlined free and warn
// (-Wmismatched-new-delete) about the replacement operators themselves.
[[gnu::noinline]] inline void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  ++allocs;
  live_bytes[side] += static_cast<int64_t>(malloc_usable_size(p));
  ++live_blocks[side];
  return p;
}
[[gnu::noinline]] inline void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  live_bytes[side] -= static_cast<int64_t>(malloc_usable_size(p));
  --live_blocks[side];
  std::free(p);
}

}  // namespace synack::bench::heap

void* operator new(std::size_t n) {
  return synack::bench::heap::counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return synack::bench::heap::counted_alloc(n);
}
void operator delete(void* p) noexcept {
  synack::bench::heap::counted_free(p);
}
void operator delete[](void* p) noexcept {
  synack::bench::heap::counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  synack::bench::heap::counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  synack::bench::heap::counted_free(p);
}
