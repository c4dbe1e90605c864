// SeqNum: a TCP sequence number, arithmetic modulo 2^32 (RFC 9293 §3.4).
//
// Comparison is modular: a < b means (int32_t)(a - b) < 0, i.e. b lies less than 2^31
// ahead of a. This is not a total order (a and a + 2^31 are each "before" the other's
// opposite), which is why there is no operator<=>; the protocol only ever compares numbers
// that are within a window of each other.
#pragma once

#include <cstdint>
#include <string>

namespace synack::wire {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint32_t v) : v_(v) {}
  [[nodiscard]] constexpr uint32_t raw() const { return v_; }

  constexpr SeqNum operator+(uint32_t n) const { return SeqNum{v_ + n}; }
  constexpr SeqNum operator-(uint32_t n) const { return SeqNum{v_ - n}; }
  constexpr SeqNum& operator+=(uint32_t n) {
    v_ += n;
    return *this;
  }
  constexpr SeqNum& operator-=(uint32_t n) {
    v_ -= n;
    return *this;
  }
  // Signed distance from o to this: positive when this is ahead of o.
  constexpr int32_t operator-(SeqNum o) const { return static_cast<int32_t>(v_ - o.v_); }

  constexpr bool operator==(const SeqNum&) const = default;
  constexpr bool operator<(SeqNum o) const { return (*this - o) < 0; }
  constexpr bool operator<=(SeqNum o) const { return (*this - o) <= 0; }
  constexpr bool operator>(SeqNum o) const { return (*this - o) > 0; }
  constexpr bool operator>=(SeqNum o) const { return (*this - o) >= 0; }

 private:
  uint32_t v_ = 0;
};

// lo <= s < hi, modular (RFC 9293's "acceptable" tests are written with this).
constexpr bool in_window(SeqNum s, SeqNum lo, SeqNum hi) {
  return lo <= s && s < hi;
}
constexpr SeqNum seq_max(SeqNum a, SeqNum b) {
  return a < b ? b : a;
}
constexpr SeqNum seq_min(SeqNum a, SeqNum b) {
  return a < b ? a : b;
}

std::string to_string(SeqNum s);

}  // namespace synack::wire
