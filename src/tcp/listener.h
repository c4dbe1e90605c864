// Listener: a socket in LISTEN, its pending handshakes and its accept queue — the minimal
// version the TCP engine issue needs (SPEC §5.1, §5.3).
//
// Why minimal: SPEC §3.2 wants half-open connections as small request records with SYN
// cookies on overflow (Linux NEW_SYN_RECV, FreeBSD syncache); that is the Listener issue. Until
// it lands a passive open is a full Tcb in SYN-RECEIVED that points back here, which is real
// (retransmitted SYN+ACKs, tcp_synack_retries, RST, the third ACK, accept-queue limits) but
// costs a full connection per pending handshake. The accept queue is an intrusive FIFO through
// Tcb::accept_next, so queueing allocates nothing.
//
// Limits (Linux 6.x, SPEC §5.2, §5.3): both queues are "full" when their length EXCEEDS
// max_ack_backlog = min(backlog, net.core.somaxconn).
//
// Single-threaded like the rest of the core.
#pragma once

#include <cstdint>

#include "tcp/tcb.h"

namespace synack::tcp {

class Listener {
 public:
  wire::Ipv4Address local_addr;  // any() for a wildcard listener
  uint16_t local_port = 0;
  uint32_t socket = 0;
  uint32_t max_ack_backlog = 0;
  uint32_t syn_queue_len = 0;  // children in SYN-RECEIVED
  uint32_t accept_len = 0;
  TcbOptions opt;  // inherited by every child, as Linux clones the listener's options

  [[nodiscard]] bool syn_queue_full() const { return syn_queue_len > max_ack_backlog; }
  [[nodiscard]] bool accept_queue_full() const { return accept_len > max_ack_backlog; }

  void push_accept(Tcb& t) {
    t.accept_next = nullptr;
    if (tail_ != nullptr) {
      tail_->accept_next = &t;
    } else {
      head_ = &t;
    }
    tail_ = &t;
    t.queued = true;
    ++accept_len;
  }
  Tcb* pop_accept() {
    Tcb* t = head_;
    if (t == nullptr) return nullptr;
    head_ = t->accept_next;
    if (head_ == nullptr) tail_ = nullptr;
    t->accept_next = nullptr;
    t->queued = false;
    --accept_len;
    return t;
  }
  // Removes `t` from the accept queue if it is there (a queued child was reset).
  bool unlink_accept(Tcb& t) {
    Tcb* prev = nullptr;
    for (Tcb* c = head_; c != nullptr; prev = c, c = c->accept_next) {
      if (c != &t) continue;
      (prev != nullptr ? prev->accept_next : head_) = c->accept_next;
      if (tail_ == c) tail_ = prev;
      c->accept_next = nullptr;
      c->queued = false;
      --accept_len;
      return true;
    }
    return false;
  }
  [[nodiscard]] Tcb* accept_head() const { return head_; }

 private:
  Tcb* head_ = nullptr;
  Tcb* tail_ = nullptr;
};

}  // namespace synack::tcp
