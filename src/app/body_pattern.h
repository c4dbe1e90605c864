// The bytes `synack serve http` answers to GET /N and `synack connect --send N` writes.
//
// Why a pattern and not zeros or random bytes: every 16-byte line names its own position —
// line k is k as 15 lowercase hex digits and a '\n' ("000000000000000\n000000000000001\n...")
// — so a segment that lands at the wrong offset, twice, or not at all changes the SHA-256 *and*
// is visible by eye in a hexdump, and any tool can regenerate the expected bytes (the interop
// tests use python3). A body of N bytes is the first N bytes of that stream.
//
// Pure functions; fill() writes any window of the stream, so a 100 MiB body is produced a
// buffer at a time without ever being held in memory.
#pragma once

#include <cstdint>
#include <span>

namespace synack::app {

inline constexpr uint64_t kPatternLine = 16;

// Writes stream bytes [offset, offset + out.size()) into `out`.
void fill_pattern(uint64_t offset, std::span<uint8_t> out);

}  // namespace synack::app
